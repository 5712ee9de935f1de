#include "core/llm/llama2_checkpoint.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <new>
#include <stdexcept>

#include "core/argument_checks.h"
#include "core/llm/file_error.h"

namespace aqpim::core::llm {
namespace {

// The tensors in file order (freq_cis_* are skipped, wcls is last and optional): name, float count.
struct Tensor {
  const char* name;
  std::vector<float>* storage;
  uint64_t count;
};

std::vector<Tensor> tensors_in_file_order(LlamaModel& model) {
  const LlamaConfig& c = model.config;
  const uint64_t layers = c.layers, dim = c.dim, kv_dim = c.kv_dim(), hidden = c.hidden_dim;
  return {{"token_embedding", &model.token_embedding, uint64_t(c.vocab_size) * dim},
          {"rms_att", &model.rms_att, layers * dim},
          {"wq", &model.wq, layers * dim * dim},
          {"wk", &model.wk, layers * kv_dim * dim},
          {"wv", &model.wv, layers * kv_dim * dim},
          {"wo", &model.wo, layers * dim * dim},
          {"rms_ffn", &model.rms_ffn, layers * dim},
          {"w1", &model.w1, layers * hidden * dim},
          {"w2", &model.w2, layers * dim * hidden},
          {"w3", &model.w3, layers * hidden * dim},
          {"rms_final", &model.rms_final, dim}};
}

uint64_t rope_table_floats(const LlamaConfig& c) { return 2 * uint64_t(c.seq_len) * c.head_dim() / 2; }

// load_llama2_checkpoint without the translation of stream and allocation failures.
LlamaModel load_checked(const std::string& path);

}  // namespace

void LlamaConfig::validate() const {
  require_range("dim", dim, 1, kMaxModelDim);
  require_range("hidden_dim", hidden_dim, 1, kMaxHiddenDim);
  require_range("n_layers", layers, 1, kMaxLayers);
  require_range("n_heads", heads, 1, dim);
  require_range("n_kv_heads", kv_heads, 1, heads);
  require_range("vocab_size", vocab_size, 1, kMaxVocab);
  require_range("seq_len", seq_len, 1, kMaxSeqLen);
  if (dim % heads != 0)
    throw_argument_error("n_heads", "must divide dim = " + std::to_string(dim), std::to_string(heads));
  if (heads % kv_heads != 0)
    throw_argument_error("n_kv_heads", "must divide n_heads = " + std::to_string(heads), std::to_string(kv_heads));
  if (head_dim() % 2 != 0)
    throw_argument_error("head_dim = dim / n_heads", "must be even (RoPE rotates channel pairs)",
                         std::to_string(head_dim()));
}

LlamaConfig config_from_header(const int32_t header[7]) {
  const char* names[7] = {"dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len"};
  for (int i = 0; i < 7; ++i)
    if (header[i] == 0 || (header[i] < 0 && i != 5))
      throw_argument_error(names[i], "must be positive" + std::string(i == 5 ? " (negative: unshared classifier)" : ""),
                           std::to_string(header[i]));
  LlamaConfig config;
  config.dim = size_t(header[0]);
  config.hidden_dim = size_t(header[1]);
  config.layers = size_t(header[2]);
  config.heads = size_t(header[3]);
  config.kv_heads = size_t(header[4]);
  config.shared_classifier = header[5] > 0;
  // -INT32_MIN overflows int32: widen first.
  config.vocab_size = size_t(header[5] > 0 ? int64_t(header[5]) : -int64_t(header[5]));
  config.seq_len = size_t(header[6]);
  config.validate();
  return config;
}

uint64_t checkpoint_bytes(const LlamaConfig& config) {
  config.validate();
  LlamaModel shape_only;
  shape_only.config = config;
  uint64_t floats = rope_table_floats(config);
  for (const Tensor& tensor : tensors_in_file_order(shape_only)) floats += tensor.count;
  if (!config.shared_classifier) floats += uint64_t(config.vocab_size) * config.dim;
  return 7 * sizeof(int32_t) + floats * sizeof(float);
}

LlamaModel load_llama2_checkpoint(const std::string& path) {
  require_regular_file(path, "llama2.c checkpoint");
  try {
    return load_checked(path);
  } catch (const std::ios_base::failure& failure) {
    throw FileFormatError(path, std::string("cannot read the llama2.c checkpoint: ") + failure.what());
  } catch (const std::bad_alloc&) {
    throw FileFormatError(path, "not enough memory for the llama2.c checkpoint's weights");
  }
}

namespace {

LlamaModel load_checked(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileFormatError(path, "cannot open the llama2.c checkpoint");
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  in.seekg(0, std::ios::beg);
  if (size < 0) throw FileFormatError(path, "cannot determine the file size");
  if (uint64_t(size) < 7 * sizeof(int32_t))
    throw FileFormatError(path, "not a llama2.c checkpoint: " + std::to_string(size) +
                                    " bytes, shorter than the 28-byte header");
  int32_t header[7];
  in.read(reinterpret_cast<char*>(header), sizeof header);
  if (!in) throw FileFormatError(path, "cannot read the 28-byte header");

  LlamaModel model;
  try {
    model.config = config_from_header(header);
  } catch (const std::invalid_argument& error) {
    throw FileFormatError(path, std::string("not a llama2.c checkpoint: bad header: ") + error.what());
  }
  const uint64_t expected = checkpoint_bytes(model.config);
  if (uint64_t(size) != expected) {
    const LlamaConfig& c = model.config;
    throw FileFormatError(
        path, std::string(uint64_t(size) < expected ? "truncated" : "oversized") + " llama2.c checkpoint: " +
                  std::to_string(size) + " bytes, but the header (dim " + std::to_string(c.dim) + ", hidden_dim " +
                  std::to_string(c.hidden_dim) + ", layers " + std::to_string(c.layers) + ", heads " +
                  std::to_string(c.heads) + "/" + std::to_string(c.kv_heads) + ", vocab " +
                  std::to_string(c.vocab_size) + (c.shared_classifier ? " shared" : " unshared") + ", seq_len " +
                  std::to_string(c.seq_len) + ") implies " + std::to_string(expected) + " bytes");
  }

  auto read_tensor = [&](const char* name, std::vector<float>& storage, uint64_t count) {
    storage.resize(size_t(count));
    in.read(reinterpret_cast<char*>(storage.data()), std::streamsize(count * sizeof(float)));
    if (!in) throw FileFormatError(path, std::string("cannot read tensor ") + name);
    for (size_t i = 0; i < storage.size(); ++i)
      if (!std::isfinite(storage[i]))
        throw FileFormatError(path, std::string("tensor ") + name + " holds a non-finite value (" +
                                        std::to_string(storage[i]) + ") at index " + std::to_string(i));
  };
  for (const Tensor& tensor : tensors_in_file_order(model)) read_tensor(tensor.name, *tensor.storage, tensor.count);
  in.seekg(std::streamoff(rope_table_floats(model.config) * sizeof(float)), std::ios::cur);
  if (!model.config.shared_classifier)
    read_tensor("wcls", model.wcls, uint64_t(model.config.vocab_size) * model.config.dim);
  return model;
}

}  // namespace

}  // namespace aqpim::core::llm
