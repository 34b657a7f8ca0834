// SPDX-License-Identifier: MIT
#include "worker.h"

namespace dse {
namespace binding {

TaskWorker::TaskWorker(Napi::Env env, Task task, Settle settle)
    : Napi::AsyncProgressQueueWorker<Progress>(env, "dse-dsmi"),
      deferred_(Napi::Promise::Deferred::New(env)),
      task_(std::move(task)),
      settle_(std::move(settle)) {}

Napi::Value TaskWorker::Start(Napi::Env env, const Napi::Value& cancelFlag, const Napi::Value& onProgress, Task task,
                              Settle settle) {
  auto* worker = new TaskWorker(env, std::move(task), std::move(settle));
  if (cancelFlag.IsTypedArray() && cancelFlag.As<Napi::TypedArray>().TypedArrayType() == napi_int32_array) {
    auto flag = cancelFlag.As<Napi::Int32Array>();
    if (flag.ElementLength() >= 1) {
      // A SharedArrayBuffer cannot be detached, and the reference keeps it alive until the
      // worker is destroyed, so the pointer stays valid for the whole task.
      worker->cancelRef_ = Napi::Persistent(flag.As<Napi::Object>());
      worker->cancel_ = reinterpret_cast<const std::atomic<std::int32_t>*>(flag.Data());
    }
  }
  if (onProgress.IsFunction()) worker->onProgress_ = Napi::Persistent(onProgress.As<Napi::Function>());
  Napi::Promise promise = worker->deferred_.Promise();
  worker->Queue();
  return promise;
}

void TaskWorker::Execute(const ExecutionProgress& progress) {
  TaskContext ctx;
  ctx.cancel = cancel_;
  if (!onProgress_.IsEmpty()) {
    ctx.progress = [this, &progress](std::size_t done, std::size_t total) {
      total_ = total;
      done_ = done;
      Progress p{static_cast<std::uint32_t>(done), static_cast<std::uint32_t>(total)};
      progress.Send(&p, 1);  // a wake-up; dropped when one is already pending
    };
  }
  try {
    task_(ctx);
  } catch (...) {
    error_ = describeCurrentException();
    SetError(error_.message);
  }
}

void TaskWorker::OnProgress(const Progress*, size_t) { FlushProgress(); }

void TaskWorker::FlushProgress() {
  if (onProgress_.IsEmpty()) return;
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  const std::size_t done = done_.load(), total = total_.load();
  while (delivered_ < done) {
    ++delivered_;
    try {
      onProgress_.Call({Napi::Number::New(env, static_cast<double>(delivered_)), Napi::Number::New(env, static_cast<double>(total))});
    } catch (const Napi::Error&) {
      // A throwing progress callback must not take the computation down with it.
    }
  }
}

void TaskWorker::OnOK() {
  FlushProgress();
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  try {
    deferred_.Resolve(settle_(env));
  } catch (const Napi::Error& e) {
    deferred_.Reject(e.Value());
  }
}

void TaskWorker::OnError(const Napi::Error&) {
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  deferred_.Reject(makeError(env, error_).Value());
}

}  // namespace binding
}  // namespace dse
