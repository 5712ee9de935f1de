// The hardware abstraction layer the firmware runs on. Plain C++ (no SystemC): the firmware sees memory-
// mapped reads and writes, an asynchronous GPU and a clock, nothing else. The host model implements it on
// a TLM initiator socket; a unit test can implement it with a plain memory and a counter.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace aqpim::hwif {

// Where time goes. The host attributes its own elapsed time (the critical path it waits on) to the phase
// set last, so a report can say how long each step of the dataflow took.
enum class Phase : uint8_t {
  kIdle,
  kGpuDense,        // QKV / output / FFN projections, prompt attention and the LM head
  kGpuAttention,    // decode attention the GPU computes (all of it, or the tokens PIM does not hold)
  kKvWrite,         // writing fp16 K/V into memory (prefill, decode appends)
  kClustering,      // in-memory k-means
  kEncoding,        // assigning tokens to centroids and writing codes
  kScoring,         // LUT build and score gather (or fp16 q.k for the baselines)
  kSoftmax,         // softmax partials, reduction and normalisation
  kValue,           // value aggregation (histogram x codebook, reconstruct, or fp16 p.v)
  kTransfer,        // GPU<->CPU traffic over PCIe (offloaded KV)
  kCount
};
inline const char* phase_name(Phase phase) {
  switch (phase) {
    case Phase::kIdle: return "idle";
    case Phase::kGpuDense: return "gpu_dense";
    case Phase::kGpuAttention: return "gpu_attention";
    case Phase::kKvWrite: return "kv_write";
    case Phase::kClustering: return "clustering";
    case Phase::kEncoding: return "encoding";
    case Phase::kScoring: return "scoring";
    case Phase::kSoftmax: return "softmax";
    case Phase::kValue: return "value";
    case Phase::kTransfer: return "transfer";
    case Phase::kCount: break;
  }
  return "?";
}

// Dense GPU work, timed by a roofline: fixed_seconds + max(flops / effective FLOP/s, bytes / effective
// bandwidth), both rates scaled by the share of SMs its thread blocks keep busy (the last wave partly empty).
struct GpuWork {
  double flops = 0;
  double bytes = 0;               // GPU HBM traffic (weights, activations)
  double thread_blocks = 0;       // 0: enough to fill every SM
  double fixed_seconds = 0;       // launch and latency beyond the roofline (small elementwise kernels)
  double bandwidth_fraction = 0;  // 0: the GPU's memory efficiency; else this kernel's share of peak
};

// A bus error, an address nobody decodes or a device refusing a command: the firmware cannot go on.
class HalError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Hal {
 public:
  virtual ~Hal() = default;

  // Timed memory-mapped accesses. `data` may be null in timing-only mode: the access is timed with its
  // size but moves no bytes. Throw HalError on any error response.
  virtual void write(uint64_t address, const void* data, size_t bytes) = 0;
  virtual void read(uint64_t address, void* data, size_t bytes) = 0;

  // A write by a copy engine: it starts now and proceeds concurrently with the firmware and with other
  // copies (the memory models still serialise what shares a channel or bank); returns at once.
  // wait_copies() returns when every copy started so far has completed.
  virtual void write_async(uint64_t address, const void* data, size_t bytes) = 0;
  virtual void wait_copies() = 0;

  // Starts dense work on the GPU, which runs it after any work started earlier, concurrently with the
  // firmware; returns at once, with the time the work will be done. gpu_wait() returns when all started GPU
  // work is done; wait_until() when the firmware's clock has reached `ps` (e.g. one launch's end).
  virtual uint64_t gpu_launch(const GpuWork& work) = 0;
  virtual void gpu_wait() = 0;
  virtual void wait_until(uint64_t ps) = 0;
  // The firmware reached a point of its dataflow worth a snapshot (e.g. "prefill_end"); the platform may
  // observe it to split statistics. Nothing happens unless someone observes.
  virtual void milestone(const char* name) { (void)name; }

  virtual Phase set_phase(Phase phase) = 0;  // returns the phase it replaces
  virtual uint64_t phase_total_ps(Phase phase) = 0;  // time spent in `phase` so far, the current stretch included
  virtual uint64_t now_ps() = 0;  // the firmware's current local time
  virtual bool functional() const = 0;  // whether payload data flows (else timing-only)
};

// Sets a phase for the lifetime of a scope and restores the previous one.
class PhaseScope {
 public:
  PhaseScope(Hal& hal, Phase phase) : hal_(hal), previous_(hal.set_phase(phase)) {}
  ~PhaseScope() { hal_.set_phase(previous_); }
  PhaseScope(const PhaseScope&) = delete;
  PhaseScope& operator=(const PhaseScope&) = delete;

 private:
  Hal& hal_;
  Phase previous_;
};

}  // namespace aqpim::hwif
