// nodegrad_mpi.node: the optional Open MPI addon behind ng.distributed (lib/distributed/).
//
// Threading design (Horovod's pattern): one communication thread per process calls
// MPI_Init_thread(MPI_THREAD_FUNNELED) and then makes every MPI call, taking jobs from a FIFO queue.
// JavaScript enqueues collectives; a synchronous call waits for its job, an asynchronous one returns a
// handle that wait() completes. Because every rank enqueues collectives in program order and one thread
// runs them in that order, the collectives match across ranks. JS keeps a reference to each buffer
// of an unfinished job, so the GC cannot free memory the comm thread is writing.
//
// MPI errors come back as return codes (MPI_ERRORS_RETURN on MPI_COMM_WORLD) and are thrown as
// Errors that name the MPI call. Finalisation is MPI_Finalize on the comm thread, which also initialised MPI.
#include <mpi.h>
#include <napi.h>

#include <algorithm>
#include <climits>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

namespace {

enum class Kind { Init, AllReduce, Broadcast, AllGather, Barrier, Finalize };
enum Op { kSum = 0, kMax = 1, kMin = 2, kLor = 3 };

struct Job {
  Kind kind;
  void* buf = nullptr;       // in-place buffer (allreduce, broadcast) or the send buffer (allgather)
  void* recv = nullptr;      // allgather receive buffer (count * worldSize elements)
  int64_t count = 0;         // elements
  MPI_Datatype type = MPI_DATATYPE_NULL;
  size_t elemBytes = 0;
  int op = kSum;
  bool mean = false;         // float32 sum, then divided by the world size
  int root = 0;
  // results
  bool done = false;
  std::string error;         // empty: success
};

std::string mpiError(const char* call, int rc) {
  char msg[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (MPI_Error_string(rc, msg, &len) != MPI_SUCCESS) len = 0;
  return std::string(call) + " failed: " + std::string(msg, static_cast<size_t>(len)) + " (error code " + std::to_string(rc) + ")";
}

MPI_Op mpiOp(int op) {
  switch (op) {
    case kMax: return MPI_MAX;
    case kMin: return MPI_MIN;
    case kLor: return MPI_LOR;
    default: return MPI_SUM;
  }
}

// MPI counts are int: split larger buffers into chunks of at most 2^30 elements.
constexpr int64_t kChunk = int64_t{1} << 30;

class Comm {
 public:
  int rank = -1, size = 0, provided = -1;
  std::string version;
  bool finalized = false;

  // Starts the comm thread and runs MPI_Init_thread there; returns an error message or "".
  std::string start() {
    thread_ = new std::thread([this] { loop(); });  // never destroyed: may outlive exit() on an error path
    auto j = std::make_shared<Job>();
    j->kind = Kind::Init;
    return run(j);
  }

  std::string run(const std::shared_ptr<Job>& j) {
    submit(j);
    return wait(j);
  }

  void submit(const std::shared_ptr<Job>& j) {
    std::lock_guard<std::mutex> lk(mu_);
    queue_.push_back(j);
    cv_.notify_all();
  }

  std::string wait(const std::shared_ptr<Job>& j) {
    std::unique_lock<std::mutex> lk(mu_);
    done_.wait(lk, [&] { return j->done; });
    return j->error;
  }

  bool isDone(const std::shared_ptr<Job>& j) {
    std::lock_guard<std::mutex> lk(mu_);
    return j->done;
  }

  void join() {
    if (thread_ != nullptr && thread_->joinable()) thread_->join();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_, done_;
  std::deque<std::shared_ptr<Job>> queue_;
  std::thread* thread_ = nullptr;

  void loop() {
    for (;;) {
      std::shared_ptr<Job> j;
      {
        std::unique_lock<std::mutex> lk(mu_);
        cv_.wait(lk, [&] { return !queue_.empty(); });
        j = queue_.front();
        queue_.pop_front();
      }
      std::string err = execute(*j);
      bool stop = j->kind == Kind::Finalize || (j->kind == Kind::Init && !err.empty());
      {
        std::lock_guard<std::mutex> lk(mu_);
        j->error = err;
        j->done = true;
        done_.notify_all();
      }
      if (stop) return;
    }
  }

  std::string execute(Job& j) {
    int rc = MPI_SUCCESS;
    switch (j.kind) {
      case Kind::Init: {
        rc = MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
        if (rc != MPI_SUCCESS) return mpiError("MPI_Init_thread", rc);
        if (provided < MPI_THREAD_FUNNELED) {
          return "MPI_Init_thread: asked for MPI_THREAD_FUNNELED, the library provides only level " + std::to_string(provided);
        }
        if ((rc = MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN)) != MPI_SUCCESS) return mpiError("MPI_Comm_set_errhandler", rc);
        if ((rc = MPI_Comm_rank(MPI_COMM_WORLD, &rank)) != MPI_SUCCESS) return mpiError("MPI_Comm_rank", rc);
        if ((rc = MPI_Comm_size(MPI_COMM_WORLD, &size)) != MPI_SUCCESS) return mpiError("MPI_Comm_size", rc);
        char v[MPI_MAX_LIBRARY_VERSION_STRING];
        int len = 0;
        if (MPI_Get_library_version(v, &len) == MPI_SUCCESS) version.assign(v, strnlen(v, static_cast<size_t>(len)));
        return "";
      }
      case Kind::AllReduce: {
        char* p = static_cast<char*>(j.buf);
        for (int64_t off = 0; off < j.count; off += kChunk) {
          int n = static_cast<int>(std::min(kChunk, j.count - off));
          rc = MPI_Allreduce(MPI_IN_PLACE, p + off * j.elemBytes, n, j.type, mpiOp(j.op), MPI_COMM_WORLD);
          if (rc != MPI_SUCCESS) return mpiError("MPI_Allreduce", rc);
        }
        if (j.mean) {
          float* f = static_cast<float*>(j.buf);
          const float w = static_cast<float>(size);
          for (int64_t i = 0; i < j.count; i++) f[i] /= w;
        }
        return "";
      }
      case Kind::Broadcast: {
        char* p = static_cast<char*>(j.buf);
        for (int64_t off = 0; off < j.count; off += kChunk) {
          int n = static_cast<int>(std::min(kChunk, j.count - off));
          rc = MPI_Bcast(p + off * j.elemBytes, n, j.type, j.root, MPI_COMM_WORLD);
          if (rc != MPI_SUCCESS) return mpiError("MPI_Bcast", rc);
        }
        return "";
      }
      case Kind::AllGather: {
        if (j.count > INT_MAX) return "MPI_Allgather: more than 2^31-1 elements per rank are not supported";
        rc = MPI_Allgather(j.buf, static_cast<int>(j.count), j.type, j.recv, static_cast<int>(j.count), j.type, MPI_COMM_WORLD);
        return rc == MPI_SUCCESS ? "" : mpiError("MPI_Allgather", rc);
      }
      case Kind::Barrier:
        rc = MPI_Barrier(MPI_COMM_WORLD);
        return rc == MPI_SUCCESS ? "" : mpiError("MPI_Barrier", rc);
      case Kind::Finalize:
        rc = MPI_Finalize();
        finalized = true;
        return rc == MPI_SUCCESS ? "" : mpiError("MPI_Finalize", rc);
    }
    return "unknown job";
  }
};

// One communicator per process (MPI can be initialised once per process), never destroyed.
std::mutex gMu;
Comm* gComm = nullptr;
bool gStarted = false;

struct Pending {
  std::shared_ptr<Job> job;
  Napi::Reference<Napi::Value> keep;
};
// handles of asynchronous jobs; only touched from the JS thread that owns the environment. Never
// destroyed: a process leaving with a job not waited for must not delete references at static destruction.
std::unordered_map<double, std::unique_ptr<Pending>>& gPending = *new std::unordered_map<double, std::unique_ptr<Pending>>();
double gNextHandle = 1;

Comm& comm(const Napi::Env& env, const char* who) {
  std::lock_guard<std::mutex> lk(gMu);
  if (gComm == nullptr || !gStarted) throw Napi::Error::New(env, std::string(who) + ": MPI is not initialised (call ng.distributed.init() first)");
  if (gComm->finalized) throw Napi::Error::New(env, std::string(who) + ": MPI has been finalised");
  return *gComm;
}

struct Buf {
  void* ptr;
  int64_t count;
  MPI_Datatype type;
  size_t elemBytes;
  bool isFloat;
  bool isBool;
};

Buf typedBuf(const Napi::Env& env, const Napi::Value& v, const char* who, const char* arg) {
  if (!v.IsTypedArray()) throw Napi::TypeError::New(env, std::string(who) + ": " + arg + " must be a Float32Array, Int32Array or Uint8Array");
  Napi::TypedArray ta = v.As<Napi::TypedArray>();
  Buf b{};
  switch (ta.TypedArrayType()) {
    case napi_float32_array: b.type = MPI_FLOAT; b.elemBytes = 4; b.isFloat = true; break;
    case napi_int32_array: b.type = MPI_INT; b.elemBytes = 4; break;
    case napi_uint8_array: b.type = MPI_UNSIGNED_CHAR; b.elemBytes = 1; b.isBool = true; break;
    default: throw Napi::TypeError::New(env, std::string(who) + ": " + arg + " must be a Float32Array, Int32Array or Uint8Array");
  }
  Napi::ArrayBuffer ab = ta.ArrayBuffer();
  b.ptr = static_cast<char*>(ab.Data()) + ta.ByteOffset();
  b.count = static_cast<int64_t>(ta.ElementLength());
  return b;
}

int intArg(const Napi::CallbackInfo& info, size_t i, const char* who, const char* arg, int lo, int hi) {
  if (info.Length() <= i || !info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), std::string(who) + ": " + arg + " must be a number");
  double d = info[i].As<Napi::Number>().DoubleValue();
  if (!(d >= lo && d <= hi) || d != static_cast<double>(static_cast<int>(d))) {
    throw Napi::RangeError::New(info.Env(), std::string(who) + ": " + arg + " must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
  return static_cast<int>(d);
}

void throwIf(const Napi::Env& env, const std::string& err) {
  if (!err.empty()) throw Napi::Error::New(env, err);
}

Napi::Object infoObject(const Napi::Env& env, const Comm& c) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("rank", c.rank);
  o.Set("size", c.size);
  o.Set("threadLevel", c.provided == MPI_THREAD_SINGLE ? "single" : c.provided == MPI_THREAD_FUNNELED ? "funneled" : c.provided == MPI_THREAD_SERIALIZED ? "serialized" : "multiple");
  o.Set("version", c.version);
  return o;
}

// init(): MPI_Init_thread on the comm thread (once per process); returns {rank, size, threadLevel, version}
Napi::Value Init(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::unique_lock<std::mutex> lk(gMu);
  if (gStarted) {
    if (gComm->finalized) throw Napi::Error::New(env, "init: MPI has been finalised and cannot be initialised again");
    return infoObject(env, *gComm);
  }
  if (gComm == nullptr) gComm = new Comm();
  lk.unlock();
  std::string err = gComm->start();
  lk.lock();
  if (!err.empty()) {
    gComm->join();
    delete gComm;
    gComm = nullptr;
    throw Napi::Error::New(env, err);
  }
  gStarted = true;
  return infoObject(env, *gComm);
}

std::shared_ptr<Job> reduceJob(const Napi::CallbackInfo& info, const char* who) {
  Napi::Env env = info.Env();
  Buf b = typedBuf(env, info[0], who, "data");
  int op = intArg(info, 1, who, "op", 0, 3);
  bool mean = info.Length() > 2 && info[2].ToBoolean().Value();
  if (mean && !b.isFloat) throw Napi::TypeError::New(env, std::string(who) + ": mean needs a Float32Array");
  if (b.isBool && op != kLor && op != kMax && op != kMin) throw Napi::TypeError::New(env, std::string(who) + ": a Uint8Array (bool) reduces with lor, max or min only");
  auto j = std::make_shared<Job>();
  j->kind = Kind::AllReduce;
  j->buf = b.ptr;
  j->count = b.count;
  j->type = b.type;
  j->elemBytes = b.elemBytes;
  j->op = op;
  j->mean = mean;
  return j;
}

// allReduce(data, op, mean): in place, synchronous
Napi::Value AllReduce(const Napi::CallbackInfo& info) {
  Comm& c = comm(info.Env(), "allReduce");
  auto j = reduceJob(info, "allReduce");
  throwIf(info.Env(), c.run(j));
  return info.Env().Undefined();
}

// allReduceAsync(data, op, mean) → handle; the buffer must not be touched until wait(handle)
Napi::Value AllReduceAsync(const Napi::CallbackInfo& info) {
  Comm& c = comm(info.Env(), "allReduceAsync");
  auto j = reduceJob(info, "allReduceAsync");
  auto p = std::make_unique<Pending>();
  p->job = j;
  p->keep = Napi::Persistent(info[0]);
  double h = gNextHandle++;
  c.submit(j);
  gPending.emplace(h, std::move(p));
  return Napi::Number::New(info.Env(), h);
}

// wait(handle): blocks until that asynchronous job is done; throws its MPI error
Napi::Value Wait(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(env, "wait: handle must be a number");
  double h = info[0].As<Napi::Number>().DoubleValue();
  auto it = gPending.find(h);
  if (it == gPending.end()) throw Napi::RangeError::New(env, "wait: unknown or already completed handle " + std::to_string(h));
  std::unique_ptr<Pending> p = std::move(it->second);
  gPending.erase(it);
  Comm& c = *gComm;
  throwIf(env, c.wait(p->job));
  return env.Undefined();
}

// broadcast(data, root): in place, synchronous
Napi::Value Broadcast(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Comm& c = comm(env, "broadcast");
  Buf b = typedBuf(env, info[0], "broadcast", "data");
  int root = intArg(info, 1, "broadcast", "root", 0, c.size - 1);
  auto j = std::make_shared<Job>();
  j->kind = Kind::Broadcast;
  j->buf = b.ptr;
  j->count = b.count;
  j->type = b.type;
  j->elemBytes = b.elemBytes;
  j->root = root;
  throwIf(env, c.run(j));
  return env.Undefined();
}

// allGather(src, dst): dst holds worldSize * src.length elements of src's type, rank r's block at r * src.length
Napi::Value AllGather(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Comm& c = comm(env, "allGather");
  Buf s = typedBuf(env, info[0], "allGather", "src");
  Buf d = typedBuf(env, info[1], "allGather", "dst");
  if (s.type != d.type) throw Napi::TypeError::New(env, "allGather: src and dst must be typed arrays of the same type");
  if (d.count != s.count * c.size) throw Napi::RangeError::New(env, "allGather: dst must hold worldSize * src.length elements");
  const char* sp = static_cast<const char*>(s.ptr);
  const char* dp = static_cast<const char*>(d.ptr);
  if (s.count > 0 && sp < dp + d.count * d.elemBytes && dp < sp + s.count * s.elemBytes) {
    throw Napi::RangeError::New(env, "allGather: src and dst must not overlap");
  }
  auto j = std::make_shared<Job>();
  j->kind = Kind::AllGather;
  j->buf = s.ptr;
  j->recv = d.ptr;
  j->count = s.count;
  j->type = s.type;
  j->elemBytes = s.elemBytes;
  throwIf(env, c.run(j));
  return env.Undefined();
}

Napi::Value Barrier(const Napi::CallbackInfo& info) {
  Comm& c = comm(info.Env(), "barrier");
  auto j = std::make_shared<Job>();
  j->kind = Kind::Barrier;
  throwIf(info.Env(), c.run(j));
  return info.Env().Undefined();
}

// finalize(): waits for the queue, MPI_Finalize on the comm thread, joins it. Idempotent.
Napi::Value Finalize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::unique_lock<std::mutex> lk(gMu);
  if (gComm == nullptr || !gStarted || gComm->finalized) return env.Undefined();
  lk.unlock();
  auto j = std::make_shared<Job>();
  j->kind = Kind::Finalize;
  std::string err = gComm->run(j);
  gComm->join();
  gPending.clear();
  throwIf(env, err);
  return env.Undefined();
}

Napi::Value State(const Napi::CallbackInfo& info) {
  std::lock_guard<std::mutex> lk(gMu);
  const char* s = gComm == nullptr || !gStarted ? "uninitialised" : gComm->finalized ? "finalised" : "initialised";
  return Napi::String::New(info.Env(), s);
}

Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  exports.Set("init", Napi::Function::New(env, Init, "init"));
  exports.Set("allReduce", Napi::Function::New(env, AllReduce, "allReduce"));
  exports.Set("allReduceAsync", Napi::Function::New(env, AllReduceAsync, "allReduceAsync"));
  exports.Set("wait", Napi::Function::New(env, Wait, "wait"));
  exports.Set("broadcast", Napi::Function::New(env, Broadcast, "broadcast"));
  exports.Set("allGather", Napi::Function::New(env, AllGather, "allGather"));
  exports.Set("barrier", Napi::Function::New(env, Barrier, "barrier"));
  exports.Set("finalize", Napi::Function::New(env, Finalize, "finalize"));
  exports.Set("state", Napi::Function::New(env, State, "state"));
  return exports;
}

}  // namespace

NODE_API_MODULE(nodegrad_mpi, InitModule)
