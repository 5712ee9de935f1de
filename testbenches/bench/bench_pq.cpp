// PQ training, encoding and exhaustive inner-product scoring: the algorithm core against faiss on the same
// data, one thread each. Data: N = 32768 keys of one head (head_dim 128) from the structured synthetic KV
// generator. Both train 10 k-means iterations from random initial centroids on every point (faiss's
// sub-sampling to 256 points per centroid is switched off so both do the same work); the counters report
// each codec's reconstruction MSE so speed is never bought with accuracy.
//
// Run (Release build): build-core/testbenches/bench_pq --benchmark_filter=... (see docs/algorithm.md)
#include <benchmark/benchmark.h>

#include <cstring>
#include <vector>

#include "core/kernels.h"
#include "core/pq_codec.h"
#include "core/synthetic_kv.h"

#ifdef AQPIM_HAVE_FAISS
#include <omp.h>

#include <faiss/IndexPQ.h>
#include <faiss/impl/ProductQuantizer.h>
#endif

namespace {

using namespace aqpim::core;

constexpr size_t kTokens = 32768, kHeadDim = 128, kSubVectors = 32, kTrainIterations = 10;

const std::vector<float>& keys() {
  static const std::vector<float> data = [] {
    SyntheticKvOptions options;
    options.tokens = kTokens;
    options.head_dim = kHeadDim;
    options.decode_queries = 1;
    return make_synthetic_kv(options).keys;
  }();
  return data;
}

const std::vector<float>& query() {
  static const std::vector<float> data = [] {
    SyntheticKvOptions options;
    options.tokens = kTokens;
    options.head_dim = kHeadDim;
    options.decode_queries = 1;
    return make_synthetic_kv(options).decode_queries;
  }();
  return data;
}

double mean_squared_error(const std::vector<float>& decoded) {
  double sum = 0;
  for (size_t i = 0; i < decoded.size(); ++i) sum += (double(decoded[i]) - keys()[i]) * (double(decoded[i]) - keys()[i]);
  return sum / double(decoded.size());
}

// The data is generated once, before any timed loop.
PqShape shape_of(const benchmark::State& state) {
  keys();
  query();
  return {kHeadDim, kSubVectors, size_t(state.range(0))};
}

PqTrainOptions train_options(KMeansInit init) {
  PqTrainOptions options;
  options.iterations = kTrainIterations;
  options.init = init;
  options.fp16_codebooks = false;  // faiss keeps fp32 centroids
  return options;
}

void BM_AqpimTrain(benchmark::State& state, KMeansInit init) {
  PqCodebooks codebooks;
  const PqShape shape = shape_of(state);
  for (auto _ : state) codebooks = train_pq(keys().data(), kTokens, shape, train_options(init));
  state.counters["mse"] = mean_squared_error(decode_pq(codebooks, encode_pq(codebooks, keys().data(), kTokens).data(),
                                                       kTokens));
}
BENCHMARK_CAPTURE(BM_AqpimTrain, random_init, KMeansInit::kRandom)
    ->Arg(16)->Arg(256)->Arg(512)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK_CAPTURE(BM_AqpimTrain, kmeans_plus_plus, KMeansInit::kPlusPlus)
    ->Arg(16)->Arg(256)->Arg(512)->Unit(benchmark::kMillisecond)->Iterations(1);

const PqCodebooks& trained(size_t clusters) {
  static std::vector<PqCodebooks> cache;
  for (const PqCodebooks& codebooks : cache)
    if (codebooks.shape.clusters == clusters) return codebooks;
  cache.push_back(train_pq(keys().data(), kTokens, {kHeadDim, kSubVectors, clusters}, train_options(KMeansInit::kRandom)));
  return cache.back();
}

void BM_AqpimEncode(benchmark::State& state) {
  const PqCodebooks& codebooks = trained(size_t(state.range(0)));
  std::vector<uint16_t> codes(kTokens * kSubVectors);
  for (auto _ : state) {
    encode_pq(codebooks, keys().data(), kTokens, codes.data());
    benchmark::DoNotOptimize(codes.data());
  }
}
BENCHMARK(BM_AqpimEncode)->Arg(16)->Arg(256)->Arg(512)->Unit(benchmark::kMillisecond);

// One query against all N codes: build the m LUTs, then score every token (what the PIM does per head).
void BM_AqpimScore(benchmark::State& state) {
  const PqCodebooks& codebooks = trained(size_t(state.range(0)));
  const PqShape& shape = codebooks.shape;
  const std::vector<uint16_t> codes = encode_pq(codebooks, keys().data(), kTokens);
  std::vector<float> luts(shape.sub_vectors * shape.clusters), scores(kTokens);
  for (auto _ : state) {
    for (size_t i = 0; i < shape.sub_vectors; ++i)
      build_lut(query().data() + i * shape.sub_dim(), codebooks.sub_space(i), shape.clusters, shape.sub_dim(),
                luts.data() + i * shape.clusters);
    score_codes(luts.data(), shape.sub_vectors, shape.clusters, codes.data(), kTokens, scores.data());
    benchmark::DoNotOptimize(scores.data());
  }
}
BENCHMARK(BM_AqpimScore)->Arg(16)->Arg(256)->Arg(512)->Unit(benchmark::kMicrosecond);

#ifdef AQPIM_HAVE_FAISS
size_t bits_of(const benchmark::State& state) { return code_bits(size_t(state.range(0))); }

faiss::ProductQuantizer faiss_quantizer(const benchmark::State& state) {
  faiss::ProductQuantizer pq(kHeadDim, kSubVectors, bits_of(state));
  pq.cp.niter = int(kTrainIterations);
  pq.cp.max_points_per_centroid = 1 << 30;  // train on every point, as ours does
  pq.verbose = false;
  return pq;
}

double faiss_mse(const faiss::ProductQuantizer& pq) {
  std::vector<uint8_t> codes(kTokens * pq.code_size);
  pq.compute_codes(keys().data(), codes.data(), kTokens);
  std::vector<float> decoded(kTokens * kHeadDim);
  pq.decode(codes.data(), decoded.data(), kTokens);
  return mean_squared_error(decoded);
}

const faiss::ProductQuantizer& faiss_trained(const benchmark::State& state) {
  static std::vector<faiss::ProductQuantizer> cache;
  for (const faiss::ProductQuantizer& pq : cache)
    if (pq.ksub == size_t(1) << bits_of(state)) return pq;
  cache.push_back(faiss_quantizer(state));
  cache.back().train(kTokens, keys().data());
  return cache.back();
}

void BM_FaissTrain(benchmark::State& state) {
  omp_set_num_threads(1);
  shape_of(state);
  faiss::ProductQuantizer pq = faiss_quantizer(state);
  for (auto _ : state) {
    pq = faiss_quantizer(state);
    pq.train(kTokens, keys().data());
  }
  state.counters["mse"] = faiss_mse(pq);
}
BENCHMARK(BM_FaissTrain)->Arg(16)->Arg(256)->Arg(512)->Unit(benchmark::kMillisecond)->Iterations(1);

void BM_FaissEncode(benchmark::State& state) {
  omp_set_num_threads(1);
  const faiss::ProductQuantizer& pq = faiss_trained(state);
  std::vector<uint8_t> codes(kTokens * pq.code_size);
  for (auto _ : state) {
    pq.compute_codes(keys().data(), codes.data(), kTokens);
    benchmark::DoNotOptimize(codes.data());
  }
}
BENCHMARK(BM_FaissEncode)->Arg(16)->Arg(256)->Arg(512)->Unit(benchmark::kMillisecond);

void BM_FaissIndexPqSearch(benchmark::State& state) {
  omp_set_num_threads(1);
  faiss::IndexPQ index(kHeadDim, kSubVectors, bits_of(state), faiss::METRIC_INNER_PRODUCT);
  index.pq = faiss_trained(state);
  index.is_trained = true;
  index.add(kTokens, keys().data());
  std::vector<float> distances(1);
  std::vector<faiss::Index::idx_t> labels(1);
  for (auto _ : state) {
    index.search(1, query().data(), 1, distances.data(), labels.data());
    benchmark::DoNotOptimize(labels.data());
  }
}
BENCHMARK(BM_FaissIndexPqSearch)->Arg(16)->Arg(256)->Arg(512)->Unit(benchmark::kMicrosecond);
#endif

}  // namespace

BENCHMARK_MAIN();
