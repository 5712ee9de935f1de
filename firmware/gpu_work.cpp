#include "firmware/gpu_work.h"

#include <algorithm>
#include <cmath>

namespace aqpim::firmware {
namespace {

double ceil_div(double a, double b) { return std::ceil(a / b); }

// Share of the SMs a kernel of `blocks` thread blocks keeps busy over its waves (AttAcc: core_utilization).
double occupancy(double blocks, double sms) { return blocks / (ceil_div(blocks, sms) * sms); }

hwif::GpuWork gemm(const GpuKernelModel& gpu, double tokens, double n, double k) {
  return {2.0 * tokens * n * k, 2.0 * (n * k + tokens * (n + k)), gemm_thread_blocks(gpu, tokens, n, k), 0.0, 0.0};
}

// AttAcc's fits count each elementwise kernel's operands three times (two inputs, one output).
hwif::GpuWork elementwise(const ElementwiseKernel& kernel, double flops, double elements) {
  return {flops, 3.0 * 2.0 * elements, 0.0, kernel.fixed_seconds, kernel.bandwidth_fraction};
}

}  // namespace

double layer_parameters(const ModelDims& m) {
  const double attention = double(m.hidden) * (m.heads + 2.0 * m.kv_heads) * m.head_dim +
                           double(m.heads) * m.head_dim * m.hidden;
  return attention + 3.0 * m.hidden * m.ffn_hidden;
}

hwif::GpuWork projection_work(const ModelDims& m, double tokens) {
  const double params = layer_parameters(m);
  return {2.0 * tokens * params, 2.0 * params + 2.0 * tokens * (4.0 * m.hidden + 2.0 * m.ffn_hidden), 0.0, 0.0, 0.0};
}

hwif::GpuWork attention_work(const ModelDims& m, double sequences, double queries, double keys, bool causal) {
  const double pairs = causal ? queries * keys / 2.0 : queries * keys;
  return {4.0 * sequences * pairs * m.head_dim * m.heads,
          2.0 * sequences * (queries * m.heads + 2.0 * keys * m.kv_heads) * m.head_dim, sequences * m.heads, 0.0,
          0.0};
}

hwif::GpuWork decode_attention_work(const ModelDims& m, double sequences, double keys, double head_token_bytes) {
  return {4.0 * sequences * keys * m.head_dim * m.heads,
          sequences * (2.0 * m.heads * m.head_dim + keys * m.kv_heads * head_token_bytes), sequences * m.heads, 0.0,
          0.0};
}

hwif::GpuWork lm_head_work(const ModelDims& m, double tokens) {
  return {2.0 * tokens * m.hidden * m.vocab, 2.0 * double(m.hidden) * m.vocab, 0.0, 0.0, 0.0};
}

double gemm_thread_blocks(const GpuKernelModel& gpu, double m, double n, double k) {
  if (gpu.sms == 0) return 0.0;
  static constexpr double kTiles[] = {8, 16, 32, 64, 128, 192, 256, 320, 384, 448, 512};
  constexpr double kTileK = 32, kBytes = 2;
  double best_cost = INFINITY, best_blocks = 0;
  for (double tile_m : kTiles)
    for (double tile_n : kTiles) {
      const double tm = std::min(tile_m, m), tn = std::min(tile_n, n);
      if ((tm + tn) * kTileK * kBytes + tm * tn * kBytes > gpu.l1_bytes) continue;
      const double l2_traffic = ceil_div(n, tn) * m * k + ceil_div(m, tm) * n * k + m * n;
      const double blocks = ceil_div(m, tm) * ceil_div(n, tn);
      const double busy = occupancy(blocks, gpu.sms);
      const double cost = l2_traffic / (busy * busy);
      if (cost < best_cost) best_cost = cost, best_blocks = blocks;
    }
  return best_blocks;
}

DenseLayerParts dense_layer_parts(const ModelDims& m, const GpuKernelModel& gpu, double tokens) {
  const double hidden = m.hidden, ffn = m.ffn_hidden, attended = double(m.heads) * m.head_dim;
  const double qkv = (m.heads + 2.0 * m.kv_heads) * m.head_dim;
  DenseLayerParts parts;
  const auto norm = [&](std::vector<hwif::GpuWork>& part) {
    if (gpu.norm.bandwidth_fraction > 0) part.push_back(elementwise(gpu.norm, 5.0 * tokens * hidden, tokens * hidden));
  };
  norm(parts.qkv);
  parts.qkv.push_back(gemm(gpu, tokens, qkv, hidden));
  parts.output.push_back(gemm(gpu, tokens, hidden, attended));
  norm(parts.ffn);
  parts.ffn.push_back(gemm(gpu, tokens, ffn, hidden));  // gate
  parts.ffn.push_back(gemm(gpu, tokens, ffn, hidden));  // up
  if (gpu.activation.bandwidth_fraction > 0)
    parts.ffn.push_back(elementwise(gpu.activation, 9.0 * tokens * ffn, tokens * ffn));
  parts.ffn.push_back(gemm(gpu, tokens, hidden, ffn));  // down
  return parts;
}

std::vector<hwif::GpuWork> dense_layer_kernels(const ModelDims& m, const GpuKernelModel& gpu, double tokens) {
  DenseLayerParts parts = dense_layer_parts(m, gpu, tokens);
  std::vector<hwif::GpuWork> kernels = std::move(parts.qkv);
  kernels.insert(kernels.end(), parts.output.begin(), parts.output.end());
  kernels.insert(kernels.end(), parts.ffn.begin(), parts.ffn.end());
  return kernels;
}

hwif::GpuWork lm_head_kernel(const ModelDims& m, const GpuKernelModel& gpu, double tokens) {
  return gemm(gpu, tokens, m.vocab, m.hidden);
}

double prefill_workspace_bytes(const ModelDims& m, double chunk_tokens, double batch) {
  const double ffn_peak = 2.0 * m.hidden + 3.0 * m.ffn_hidden;
  const double attention_peak = 2.0 * m.hidden + (2.0 * m.heads + 2.0 * m.kv_heads) * m.head_dim;
  return 2.0 * chunk_tokens * std::max(ffn_peak, attention_peak) + 4.0 * batch * m.vocab;
}

}  // namespace aqpim::firmware
