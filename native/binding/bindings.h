// SPDX-License-Identifier: MIT
// One registration function per binding file; native/addon.cc calls them all.
#pragma once

#include <napi.h>

namespace dse {
namespace binding {

void registerSpectra(Napi::Env env, Napi::Object exports);
void registerInfo(Napi::Env env, Napi::Object exports);
void registerCluster(Napi::Env env, Napi::Object exports);
void registerChebyshev(Napi::Env env, Napi::Object exports);
void registerSlq(Napi::Env env, Napi::Object exports);
void registerCse(Napi::Env env, Napi::Object exports);
void registerWorker(Napi::Env env, Napi::Object exports);

}  // namespace binding
}  // namespace dse
