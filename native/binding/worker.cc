// SPDX-License-Identifier: MIT
#include "worker.h"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "../core/spectra.h"  // dse::Cancelled, isCancelled

namespace dse {
namespace binding {

namespace {

struct Job;

// One addon instance (one JS thread) as the compute thread sees it: the thread-safe function
// that carries results home, and whether that thread is still alive.
struct EnvLink {
  std::mutex mu;  // guards alive and every call of tsfn from another thread
  bool alive = true;
  napi_threadsafe_function tsfn = nullptr;
  std::size_t pending = 0;  // JS thread only: unsettled jobs (the tsfn keeps the loop alive meanwhile)
  napi_env env = nullptr;

  // From any thread. False once the JS thread is gone (the message is then dropped here).
  bool send(std::shared_ptr<Job> job, bool final);
};

// The JS side of a job: created and destroyed on its JS thread only.
struct JsSide {
  Napi::Promise::Deferred deferred;
  Napi::ObjectReference cancelRef;
  Napi::ObjectReference keepAlive;
  Napi::FunctionReference onProgress;
  std::size_t delivered = 0;
  explicit JsSide(Napi::Env env) : deferred(Napi::Promise::Deferred::New(env)) {}
  // After the environment is torn down its references are freed with it: forget them.
  void abandon() {
    cancelRef.SuppressDestruct();
    keepAlive.SuppressDestruct();
    onProgress.SuppressDestruct();
  }
};

struct Job {
  TaskWorker::Task task;
  TaskWorker::Settle settle;
  std::shared_ptr<EnvLink> link;
  std::atomic<std::int32_t> ownCancel{0};
  const std::atomic<std::int32_t>* cancel = &ownCancel;  // the pinned SharedArrayBuffer's, when given
  bool failed = false;
  CodedError error;
  std::atomic<std::size_t> done{0}, total{0};
  std::atomic<bool> progressQueued{false};
  bool hasProgress = false;
  JsSide* js = nullptr;  // owned by the JS thread; deleted exactly once there (see settleOnJsThread)
};

struct Message {
  std::shared_ptr<Job> job;
  bool final;
};

bool EnvLink::send(std::shared_ptr<Job> job, bool final) {
  std::lock_guard<std::mutex> lock(mu);
  if (!alive) return false;
  auto* m = new Message{std::move(job), final};
  if (napi_call_threadsafe_function(tsfn, m, napi_tsfn_nonblocking) != napi_ok) {
    delete m;
    return false;
  }
  return true;
}

// The process-wide FIFO and its thread. Leaked on purpose: no static destructor may run while
// the thread still waits on it at exit.
struct Scheduler {
  std::mutex mu;
  std::condition_variable wake;  // a job was queued
  std::condition_variable idle;  // the running job finished
  std::deque<std::shared_ptr<Job>> queue;
  std::shared_ptr<Job> running;

  static Scheduler& get() {
    static Scheduler* s = [] {
      auto* created = new Scheduler();
      std::thread([created] { created->loop(); }).detach();
      return created;
    }();
    return *s;
  }

  void push(std::shared_ptr<Job> job) {
    {
      std::lock_guard<std::mutex> lock(mu);
      queue.push_back(std::move(job));
    }
    wake.notify_one();
  }

  void loop() {
    for (;;) {
      std::shared_ptr<Job> job;
      {
        std::unique_lock<std::mutex> lock(mu);
        wake.wait(lock, [this] { return !queue.empty(); });
        job = std::move(queue.front());
        queue.pop_front();
        running = job;
      }
      execute(job);
      std::lock_guard<std::mutex> lock(mu);
      running.reset();
      // Under mu, so that a JS thread tearing down either sees this job running or sees it sent.
      job->link->send(job, true);
      idle.notify_all();
    }
  }

  static void execute(const std::shared_ptr<Job>& job) {
    try {
      // A job aborted while it waited is never started.
      if (isCancelled(job->cancel)) throw Cancelled();
      TaskContext ctx;
      ctx.cancel = job->cancel;
      if (job->hasProgress) {
        ctx.progress = [job](std::size_t done, std::size_t total) {
          job->total = total;
          job->done = done;
          if (!job->progressQueued.exchange(true)) job->link->send(job, false);
        };
      }
      job->task(ctx);
    } catch (...) {
      job->failed = true;
      job->error = describeCurrentException();
    }
  }
};

void releasePending(EnvLink& link) {
  if (--link.pending == 0) napi_unref_threadsafe_function(link.env, link.tsfn);
}

void flushProgress(Napi::Env env, const Job& job, JsSide& js) {
  if (js.onProgress.IsEmpty()) return;
  const std::size_t done = job.done.load(), total = job.total.load();
  while (js.delivered < done) {
    ++js.delivered;
    try {
      js.onProgress.Call({Napi::Number::New(env, static_cast<double>(js.delivered)),
                          Napi::Number::New(env, static_cast<double>(total))});
    } catch (const Napi::Error&) {
      // A throwing progress callback must not take the computation down with it.
    }
  }
}

// On the job's JS thread: settles the Promise and frees the JS side.
void settleOnJsThread(Napi::Env env, Job& job) {
  Napi::HandleScope scope(env);
  JsSide* js = job.js;
  if (!js) return;
  job.js = nullptr;
  flushProgress(env, job, *js);
  if (job.failed) {
    js->deferred.Reject(makeError(env, job.error).Value());
  } else {
    try {
      js->deferred.Resolve(job.settle(env));
    } catch (const Napi::Error& e) {
      js->deferred.Reject(e.Value());
    }
  }
  delete js;
  releasePending(*job.link);
}

void callJs(napi_env env, napi_value, void*, void* data) {
  std::unique_ptr<Message> m(static_cast<Message*>(data));
  Job& job = *m->job;
  if (env == nullptr) {
    // The environment is being torn down: nothing can be settled any more.
    if (m->final && job.js) {
      job.js->abandon();
      delete job.js;
      job.js = nullptr;
    }
    return;
  }
  if (!m->final) {
    job.progressQueued = false;
    if (job.js) {
      Napi::HandleScope scope(env);
      flushProgress(env, job, *job.js);
    }
    return;
  }
  settleOnJsThread(env, job);
}

// Runs when the JS thread's environment is torn down (a worker terminated, or the process
// ending): its queued jobs are dropped, its running job is told to stop and waited for, because
// the job reads the SharedArrayBuffer flag that goes away with the environment.
void tearDown(void* arg) {
  std::unique_ptr<std::shared_ptr<EnvLink>> holder(static_cast<std::shared_ptr<EnvLink>*>(arg));
  std::shared_ptr<EnvLink> link = *holder;
  Scheduler& s = Scheduler::get();
  std::vector<std::shared_ptr<Job>> dropped;
  {
    std::unique_lock<std::mutex> lock(s.mu);
    {
      std::lock_guard<std::mutex> l(link->mu);
      link->alive = false;
    }
    for (auto it = s.queue.begin(); it != s.queue.end();) {
      if ((*it)->link == link) {
        dropped.push_back(std::move(*it));
        it = s.queue.erase(it);
      } else {
        ++it;
      }
    }
    if (s.running && s.running->link == link) {
      std::shared_ptr<Job> job = s.running;
      const_cast<std::atomic<std::int32_t>*>(job->cancel)->store(1);
      s.idle.wait(lock, [&] { return s.running != job; });
      dropped.push_back(job);
    }
  }
  for (auto& job : dropped) {
    delete job->js;  // the environment is still alive here: references are freed normally
    job->js = nullptr;
  }
}

std::shared_ptr<EnvLink> linkOf(Napi::Env env) {
  auto* holder = env.GetInstanceData<std::shared_ptr<EnvLink>>();
  if (holder) return *holder;
  auto link = std::make_shared<EnvLink>();
  link->env = env;
  if (napi_create_threadsafe_function(env, nullptr, nullptr, Napi::String::New(env, "dse-dsmi"), 0, 1, nullptr, nullptr,
                                      nullptr, callJs, &link->tsfn) != napi_ok)
    throwError(env, "ERR_DSE_NATIVE", "native: could not create the thread-safe function of async calls");
  // Only unsettled jobs keep the event loop alive.
  napi_unref_threadsafe_function(env, link->tsfn);
  env.SetInstanceData<std::shared_ptr<EnvLink>>(new std::shared_ptr<EnvLink>(link));
  // The hook owns a copy of its own: the instance data may be finalized first.
  napi_add_env_cleanup_hook(env, tearDown, new std::shared_ptr<EnvLink>(link));
  return link;
}

Napi::Value DropCancelled(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto* holder = env.GetInstanceData<std::shared_ptr<EnvLink>>();
  std::vector<std::shared_ptr<Job>> dropped;
  if (holder) {
    Scheduler& s = Scheduler::get();
    std::lock_guard<std::mutex> lock(s.mu);
    for (auto it = s.queue.begin(); it != s.queue.end();) {
      if ((*it)->link == *holder && isCancelled((*it)->cancel)) {
        dropped.push_back(std::move(*it));
        it = s.queue.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& job : dropped) {
    job->failed = true;
    job->error = CodedError{"ABORT_ERR", "The operation was aborted"};
    settleOnJsThread(env, *job);
  }
  return Napi::Number::New(env, static_cast<double>(dropped.size()));
}

Napi::Value QueuedJobs(const Napi::CallbackInfo& info) {
  Scheduler& s = Scheduler::get();
  std::lock_guard<std::mutex> lock(s.mu);
  return Napi::Number::New(info.Env(), static_cast<double>(s.queue.size() + (s.running ? 1 : 0)));
}

}  // namespace

Napi::Value TaskWorker::Start(Napi::Env env, const Napi::Value& cancelFlag, const Napi::Value& onProgress, Task task,
                              Settle settle, const Napi::Value& keepAlive) {
  std::shared_ptr<EnvLink> link = linkOf(env);
  auto job = std::make_shared<Job>();
  job->task = std::move(task);
  job->settle = std::move(settle);
  job->link = link;
  job->js = new JsSide(env);
  if (cancelFlag.IsTypedArray() && cancelFlag.As<Napi::TypedArray>().TypedArrayType() == napi_int32_array) {
    auto flag = cancelFlag.As<Napi::Int32Array>();
    if (flag.ElementLength() >= 1) {
      // A SharedArrayBuffer cannot be detached, and the reference keeps it alive until the job
      // is settled (or its environment has waited for it), so the pointer stays valid.
      job->js->cancelRef = Napi::Persistent(flag.As<Napi::Object>());
      job->cancel = reinterpret_cast<const std::atomic<std::int32_t>*>(flag.Data());
    }
  }
  if (keepAlive.IsObject()) job->js->keepAlive = Napi::Persistent(keepAlive.As<Napi::Object>());
  if (onProgress.IsFunction()) {
    job->js->onProgress = Napi::Persistent(onProgress.As<Napi::Function>());
    job->hasProgress = true;
  }
  Napi::Promise promise = job->js->deferred.Promise();
  if (link->pending++ == 0) napi_ref_threadsafe_function(env, link->tsfn);
  Scheduler::get().push(std::move(job));
  return promise;
}

void registerWorker(Napi::Env env, Napi::Object exports) {
  exports.Set("dropCancelled", Napi::Function::New(env, DropCancelled, "dropCancelled"));
  exports.Set("queuedJobs", Napi::Function::New(env, QueuedJobs, "queuedJobs"));
}

}  // namespace binding
}  // namespace dse
