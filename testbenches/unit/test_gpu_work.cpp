// The GPU's kernels against AttAcc's simulator (scale-snu/attacc_simulator, src/devices.py and
// src/model.py): the thread blocks its L1 tile search picks for a GEMM, taken from running that Python
// code on the same shapes (132 SMs, 256 KiB L1), and a layer's kernels against hand formulas.
#include <gtest/gtest.h>

#include "firmware/gpu_work.h"

namespace aqpim::firmware {
namespace {

const GpuKernelModel kH100{132, 256 * 1024, {6.87e-6, 0.402}, {8.29e-6, 1.439}};
const ModelDims kMistral{32, 4096, 32, 8, 128, 14336, 32000};

TEST(GpuWork, GemmThreadBlocksFollowAttAccsTileSearch) {
  // Decode QKV of 16 tokens: 16 x 16 tiles, 384 blocks in 3 waves (97 % busy). 8-wide tiles would move
  // the activations through L2 twice as often; 32-wide ones leave 27 % of the SMs idle (1 / 0.73^2 cost).
  EXPECT_EQ(gemm_thread_blocks(kH100, 16, 6144, 4096), 384.0);
  EXPECT_EQ(gemm_thread_blocks(kH100, 16, 14336, 4096), 112.0);        // gate/up: 16 x 128 tiles, 85 % busy
  EXPECT_EQ(gemm_thread_blocks(kH100, 4, 1536, 512), 96.0);            // a tiny GEMM: 73 % busy
  EXPECT_EQ(gemm_thread_blocks(kH100, 524288, 6144, 4096), 32780.0);   // prefill: 320 x 320 tiles
  EXPECT_EQ(gemm_thread_blocks({0, 0, {0, 0}, {0, 0}}, 16, 6144, 4096), 0.0);  // no SM model: fills the GPU
}

TEST(GpuWork, ALayersKernelsAreItsProjectionsNormsAndActivation) {
  const double tokens = 16, h = 4096, f = 14336;
  const auto kernels = dense_layer_kernels(kMistral, kH100, tokens);
  ASSERT_EQ(kernels.size(), 8u);  // norm, QKV, output, norm, gate, up, SiLU x gate, down
  double gemm_flops = 0, weight_bytes = 0;
  for (size_t i : {1, 2, 4, 5, 7}) {
    gemm_flops += kernels[i].flops;
    EXPECT_GT(kernels[i].thread_blocks, 0.0);
  }
  // Every weight once: 2 x tokens x parameters of the layer (hand count of Mistral-7B's layer).
  const double parameters = h * (32 + 2 * 8) * 128 + 32 * 128 * h + 3 * h * f;
  EXPECT_DOUBLE_EQ(gemm_flops, 2 * tokens * parameters);
  // QKV: weights + input + output, fp16.
  weight_bytes = 2 * (h * 6144 + tokens * (h + 6144));
  EXPECT_DOUBLE_EQ(kernels[1].bytes, weight_bytes);
  // RMSNorm: AttAcc's get_size counts input, weight-sized second input and output of tokens x hidden.
  EXPECT_DOUBLE_EQ(kernels[0].bytes, 3 * 2 * tokens * h);
  EXPECT_DOUBLE_EQ(kernels[0].fixed_seconds, 6.87e-6);
  EXPECT_DOUBLE_EQ(kernels[0].bandwidth_fraction, 0.402);
  EXPECT_DOUBLE_EQ(kernels[6].bytes, 3 * 2 * tokens * f);  // gate, up in; product out
  EXPECT_DOUBLE_EQ(kernels[6].fixed_seconds, 8.29e-6);
  // Without elementwise kernels: the five GEMMs only.
  EXPECT_EQ(dense_layer_kernels(kMistral, {132, 256 * 1024, {0, 0}, {0, 0}}, tokens).size(), 5u);
}

TEST(GpuWork, AttentionHasOneThreadBlockPerSequenceAndQueryHead) {
  EXPECT_EQ(attention_work(kMistral, 16, 1, 32768, false).thread_blocks, 16.0 * 32);
  EXPECT_EQ(attention_work(kMistral, 1, 1, 32768, false).thread_blocks, 32.0);
}

TEST(GpuWork, PrefillWorkspaceIsTheFfnPeakOfAChunkAndTheLogits) {
  // 512 tokens x (2 x 4096 residual and normed input + 3 x 14336 gate, up, product) x 2 B + 16 x 32000 x 4 B.
  EXPECT_DOUBLE_EQ(prefill_workspace_bytes(kMistral, 512, 16), 512.0 * (2 * 4096 + 3 * 14336) * 2 + 16.0 * 32000 * 4);
}

}  // namespace
}  // namespace aqpim::firmware
