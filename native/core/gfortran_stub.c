/* SPDX-License-Identifier: MIT
 * OpenBLAS's LAPACK objects (Fortran) call _gfortran_concat_string. Debian's libgfortran.a
 * cannot be linked into a shared object (TLS relocations), so the static build supplies this
 * one routine: concatenate two Fortran strings into a blank-padded destination. Hidden, so it
 * never clashes with a libgfortran already in the process. */
#include <stddef.h>
#include <string.h>

__attribute__((visibility("hidden"))) void _gfortran_concat_string(size_t destlen, char* dest, size_t len1,
                                                                   const char* s1, size_t len2, const char* s2) {
  if (len1 >= destlen) {
    memcpy(dest, s1, destlen);
    return;
  }
  memcpy(dest, s1, len1);
  dest += len1;
  destlen -= len1;
  if (len2 >= destlen) {
    memcpy(dest, s2, destlen);
    return;
  }
  memcpy(dest, s2, len2);
  memset(dest + len2, ' ', destlen - len2);
}
