// SPDX-License-Identifier: MIT
// Static checks of one prebuilt binary (any architecture: readelf and objdump read the headers):
//   ELF: the machine, shared libraries needed (only glibc's: no libstdc++, libgcc_s, libgfortran,
//   libquadmath, libopenblas), BIND_NOW (a missing symbol fails at load, not at the first
//   LAPACK call), exports (only the two Node-API entry points), undefined symbols (versioned glibc
//   ones and Node-API functions only), the glibc floor (the highest GLIBC_x.y referenced) against
//   the target's.
//   PE: the machine, imported DLLs (Windows' own only: no node.exe import library, no
//   libstdc++/libgcc/winpthread DLLs), exports (the Node-API entry points; the statically linked
//   libunwind exports its own API, which stays private to this DLL on Windows).
'use strict';
const fs = require('fs');
const { PrebuildError, runOk } = require('./toolchain');

const cmpVersion = (a, b) => {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++)
    if ((x[i] || 0) !== (y[i] || 0)) return (x[i] || 0) - (y[i] || 0);
  return 0;
};

const ENTRY_POINTS = ['napi_register_module_v1', 'node_api_module_get_api_version_v1'];
const ELF_MACHINE = { x64: /X86-64/, arm64: /AArch64/ };
const GLIBC_LIBS =
  /^(libc\.so\.6|libm\.so\.6|libpthread\.so\.0|libdl\.so\.2|librt\.so\.1|ld-linux-(x86-64|aarch64)\.so\.[12])$/;

function checkElf(target, file) {
  const header = runOk('readelf', ['-h', '-W', file]).stdout;
  if (!ELF_MACHINE[target.arch].test(header))
    throw new PrebuildError(`${file} is not a ${target.arch} ELF file:\n${header}`);
  const dynamic = runOk('readelf', ['-d', '-W', file]).stdout;
  const needed = [...dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
  const foreign = needed.filter((n) => !GLIBC_LIBS.test(n));
  if (foreign.length)
    throw new PrebuildError(`${target.name} needs shared libraries users may not have: ${foreign.join(', ')}`);
  if (!/\(FLAGS\)[^\n]*BIND_NOW|\(FLAGS_1\)[^\n]*\bNOW\b/.test(dynamic))
    throw new PrebuildError(`${target.name} is not linked with -z now (BIND_NOW missing)`);

  const syms = runOk('readelf', ['--dyn-syms', '-W', file])
    .stdout.split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 8 && /^\d+:$/.test(f[0]));
  const exported = syms
    .filter((f) => f[6] !== 'UND' && (f[4] === 'GLOBAL' || f[4] === 'WEAK') && f[5] === 'DEFAULT')
    .map((f) => f[7].replace(/@.*/, ''));
  if (exported.sort().join() !== [...ENTRY_POINTS].sort().join()) {
    throw new PrebuildError(
      `${target.name} exports ${exported.length} symbols, not just ${ENTRY_POINTS.join(', ')}: ` +
        `${exported.slice(0, 20).join(', ')}`,
    );
  }
  const undefinedSyms = syms.filter((f) => f[6] === 'UND' && f[7]);
  const unexpected = undefinedSyms
    .filter((f) => f[4] !== 'WEAK')
    .map((f) => f[7])
    .filter((s) => !/@GLIBC_[0-9.]+( \(\d+\))?$/.test(s) && !/^(napi|node_api)_\w+$/.test(s));
  if (unexpected.length)
    throw new PrebuildError(`${target.name}: unexpected undefined symbols: ${unexpected.join(', ')}`);
  const versions = [
    ...undefinedSyms
      .map((f) => f[7])
      .join('\n')
      .matchAll(/@GLIBC_([0-9.]+)/g),
  ]
    .map((m) => m[1])
    .sort(cmpVersion);
  const glibc = versions.pop() || '-';
  if (glibc !== '-' && cmpVersion(glibc, target.glibcFloor) > 0) {
    throw new PrebuildError(`${target.name} needs glibc ${glibc}, above its floor ${target.glibcFloor}`);
  }
  return { format: 'ELF', needed, exported, glibc, bindNow: true };
}

function checkPe(target, file) {
  const p = runOk('objdump', ['-p', file]).stdout;
  if (!/file format pei-x86-64/.test(p) || !/Characteristics[\s\S]*DLL/.test(p))
    throw new PrebuildError(`${file} is not an x86-64 Windows DLL`);
  const dlls = [...p.matchAll(/DLL Name: (\S+)/g)].map((m) => m[1]);
  const foreign = dlls.filter(
    (d) => !/^(kernel32|msvcrt|advapi32|ntdll|user32|ws2_32|bcrypt|api-ms-win-[\w-]+)\.dll$/i.test(d),
  );
  if (foreign.length) throw new PrebuildError(`${target.name} imports DLLs users may not have: ${foreign.join(', ')}`);
  const table = /\[Ordinal\/Name Pointer\] Table\n([\s\S]*?)\n\s*\n/.exec(p);
  const exported = table ? [...table[1].matchAll(/\]\s+(\S+)/g)].map((m) => m[1]) : [];
  for (const e of ENTRY_POINTS)
    if (!exported.includes(e)) throw new PrebuildError(`${target.name} does not export ${e}`);
  const other = exported.filter(
    (e) => !ENTRY_POINTS.includes(e) && !/^(_Unwind_\w+|unw_\w+|_GCC_specific_handler)$/.test(e),
  );
  if (other.length)
    throw new PrebuildError(
      `${target.name} exports more than the Node-API entry points and libunwind: ${other.join(', ')}`,
    );
  return { format: 'PE', needed: dlls, exported: exported.filter((e) => ENTRY_POINTS.includes(e)), glibc: '-' };
}

/** Checks `file` for `target`; returns what was found (size, glibc floor, needed libraries). */
function checkBinary(target, file) {
  if (!fs.existsSync(file)) throw new PrebuildError(`${file} is missing`);
  const found = target.platform === 'win32' ? checkPe(target, file) : checkElf(target, file);
  return { ...found, bytes: fs.statSync(file).size };
}

module.exports = { checkBinary, cmpVersion };
