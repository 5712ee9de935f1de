// The real-model path's model side: llama2.c checkpoint and tokenizer loaders (and their one-line errors on
// bad files), llama2.c's BPE, and the fp32 forward pass, checked against the known greedy continuation of the
// vendored stories260K and against a double-precision reference over checkpoints the test writes itself.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/llm/evaluation.h"
#include "core/llm/file_error.h"
#include "core/llm/llama2_checkpoint.h"
#include "core/llm/tokenizer.h"
#include "core/llm/transformer.h"
#include "test_llm_support.h"

namespace aqpim::core::llm {
namespace {

using test::data_path;
using test::temp_path;

const LlamaModel& stories() {
  static const LlamaModel model = load_llama2_checkpoint(data_path("stories260K.bin"));
  return model;
}

const Tokenizer& tokenizer() {
  static const Tokenizer shared = load_tokenizer(data_path("tok512.bin"), 512);
  return shared;
}

TEST(LlmForward, Stories260KHasTheHeaderTheSharedReadmeGives) {
  const LlamaConfig& c = stories().config;
  EXPECT_EQ(c.dim, 64u);
  EXPECT_EQ(c.hidden_dim, 172u);
  EXPECT_EQ(c.layers, 5u);
  EXPECT_EQ(c.heads, 8u);
  EXPECT_EQ(c.kv_heads, 4u);
  EXPECT_EQ(c.vocab_size, 512u);
  EXPECT_EQ(c.seq_len, 512u);
  EXPECT_TRUE(c.shared_classifier);
  EXPECT_EQ(c.head_dim(), 8u);
  EXPECT_EQ(checkpoint_bytes(c), 1056540u);  // the file size the shared README lists
}

// The continuation the shared README gives for the reference C implementation (fp32, greedy, prompt
// "Once upon a time" after BOS).
TEST(LlmForward, ReproducesTheKnownGreedyContinuationTokenForToken) {
  const std::string prompt = "Once upon a time";
  const std::string expected = prompt +
                               ", there was a little girl named Lily. She loved to play outside in the park. One day, "
                               "she saw a big, red ball.";
  const std::vector<int32_t> prompt_tokens = tokenizer().encode(prompt, /*bos=*/true, /*eos=*/false);
  const std::vector<int32_t> tokens = generate(stories(), prompt_tokens, 60);
  // Decode token by token, as run.c prints them, and stop once the expected text is covered.
  std::string text;
  size_t used = 1;
  for (; used < tokens.size() && text.size() < expected.size(); ++used)
    text += tokenizer().decode(tokens[used - 1], tokens[used]);
  ASSERT_GE(text.size(), expected.size()) << text;
  EXPECT_EQ(text.substr(0, expected.size()), expected);
  EXPECT_GT(used, prompt_tokens.size() + 20);  // the continuation really was generated, not prompted
}

TEST(LlmForward, MatchesADoublePrecisionReferenceOnWrittenCheckpoints) {
  struct Case {
    int dim, hidden, layers, heads, kv_heads, vocab, seq_len;
    bool shared;
  };
  // GQA with a shared classifier; multi-head (no GQA) with an unshared classifier and head_dim 12.
  for (const Case& c : {Case{48, 100, 2, 6, 2, 37, 16, true}, Case{48, 64, 3, 4, 4, 29, 12, false}}) {
    SCOPED_TRACE(c.shared ? "shared classifier, GQA" : "unshared classifier, MHA");
    const test::RawModel raw =
        test::random_model(c.dim, c.hidden, c.layers, c.heads, c.kv_heads, c.vocab, c.seq_len, c.shared, 11);
    const std::string path = temp_path(c.shared ? "shared.bin" : "unshared.bin");
    test::write_checkpoint(raw, path);
    const LlamaModel model = load_llama2_checkpoint(path);
    EXPECT_EQ(model.config.shared_classifier, c.shared);
    EXPECT_EQ(model.config.vocab_size, size_t(c.vocab));
    EXPECT_EQ(model.wk, raw.wk);
    EXPECT_EQ(model.rms_final, raw.rms_final);
    EXPECT_EQ(model.wcls, raw.wcls);  // empty when shared

    std::vector<int> tokens;
    for (int i = 0; i < c.seq_len; ++i) tokens.push_back((i * 7 + 3) % c.vocab);
    const auto expected = test::reference_logits(raw, tokens);
    Transformer transformer(model);
    ExactBackend cache;
    cache.begin(transformer.shape());
    for (size_t pos = 0; pos < tokens.size(); ++pos) {
      const std::vector<float>& logits = transformer.forward(tokens[pos], pos, cache);
      double scale = 0, worst = 0;
      for (size_t v = 0; v < logits.size(); ++v) {
        scale = std::max(scale, std::fabs(expected[pos][v]));
        worst = std::max(worst, std::fabs(logits[v] - expected[pos][v]));
      }
      EXPECT_LT(worst, 1e-4 * scale) << "position " << pos;
    }
    std::remove(path.c_str());
  }
}

// Other shapes than stories260K (head_dim 12, no GQA, unshared classifier): every back end runs end to end
// and the fp32 configuration reproduces the double-precision reference's likelihood of the text.
TEST(LlmForward, EveryBackendRunsOnAWrittenCheckpointOfAnotherShape) {
  const test::RawModel raw = test::random_model(48, 64, 2, 4, 4, 29, 48, false, 5);
  const std::string path = temp_path("other_shape.bin");
  test::write_checkpoint(raw, path);
  const LlamaModel model = load_llama2_checkpoint(path);
  std::remove(path.c_str());
  std::vector<int32_t> tokens, calibration;
  for (int i = 0; i < 48; ++i) tokens.push_back((i * 5 + 1) % 29), calibration.push_back((i * 11 + 2) % 29);
  const AccuracyEvaluator evaluator(model, tokens, calibration);
  const auto expected = test::reference_logits(raw, std::vector<int>(tokens.begin(), tokens.end()));
  double nll = 0;  // targets 25..47 (default prefill max(48 - 64, 24) = 24)
  for (size_t pos = 24; pos + 1 < tokens.size(); ++pos) {
    double top = -INFINITY, sum = 0;
    for (double l : expected[pos]) top = std::max(top, l);
    for (double l : expected[pos]) sum += std::exp(l - top);
    nll -= expected[pos][size_t(tokens[pos + 1])] - top - std::log(sum);
  }
  for (const std::string& backend : backend_names()) {
    SCOPED_TRACE(backend);
    AccuracyConfig config;
    config.backend = backend;
    config.aqpim.sink_tokens = config.skvq.sink_tokens = config.pqcache.sink_tokens = 2;
    config.aqpim.recent_tokens = config.skvq.recent_tokens = config.pqcache.recent_tokens = 4;
    config.aqpim.clusters = config.pqcache.clusters = 8;
    config.pqcache.top_k = 4;
    config.snapkv.budget = 12;
    config.snapkv.window = 4;
    const AccuracyResult result = evaluator.run(config);
    EXPECT_EQ(result.scored_tokens, 23u);
    EXPECT_TRUE(std::isfinite(result.perplexity));
    EXPECT_EQ(result.footprint.elements, 47u * 2 * 48 * 2);  // tokens x layers x kv_dim x (K, V)
    EXPECT_EQ(result.layer_attention_error.size(), 2u);
    if (backend == "fp32") {
      EXPECT_NEAR(std::log(result.perplexity), nll / 23, 1e-4);
    }
  }
}

// One line, starting with the path, mentioning `what`.
void expect_file_error(const std::function<void()>& load, const std::string& path, const std::string& what) {
  try {
    load();
    ADD_FAILURE() << "no error for " << path << " (expected: " << what << ")";
  } catch (const FileFormatError& error) {
    const std::string message = error.what();
    EXPECT_EQ(message.rfind(path + ": ", 0), 0u) << message;
    EXPECT_NE(message.find(what), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    EXPECT_EQ(error.path(), path);
  }
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(bytes.data(), std::streamsize(bytes.size()));
}

std::string header_bytes(std::vector<int32_t> header) {
  return std::string(reinterpret_cast<const char*>(header.data()), header.size() * sizeof(int32_t));
}

TEST(LlmCheckpoint, BadFilesGiveAOneLineErrorNamingTheFile) {
  const test::RawModel raw = test::random_model(16, 24, 1, 2, 1, 11, 4, false, 3);
  const std::string good = temp_path("good.bin"), bad = temp_path("bad.bin");
  test::write_checkpoint(raw, good);
  std::ifstream in(good, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_NO_THROW(load_llama2_checkpoint(good));
  auto load_bad = [&] { load_llama2_checkpoint(bad); };

  expect_file_error([&] { load_llama2_checkpoint(temp_path("missing.bin")); }, temp_path("missing.bin"), "cannot open");
  expect_file_error([&] { load_llama2_checkpoint(AQPIM_BINARY_DIR); }, AQPIM_BINARY_DIR, "not a regular file");
  expect_file_error([&] { load_llama2_checkpoint(data_path("tok512.bin")); }, data_path("tok512.bin"), "bad header");
  write_bytes(bad, bytes.substr(0, bytes.size() - 4));
  expect_file_error(load_bad, bad, "truncated");
  write_bytes(bad, bytes.substr(0, bytes.size() - 44));  // the unshared classifier is missing
  expect_file_error(load_bad, bad, "truncated");
  write_bytes(bad, bytes + "x");
  expect_file_error(load_bad, bad, "oversized");
  write_bytes(bad, bytes.substr(0, 10));
  expect_file_error(load_bad, bad, "shorter than the 28-byte header");
  write_bytes(bad, "");
  expect_file_error(load_bad, bad, "shorter than the 28-byte header");
  write_bytes(bad, header_bytes({16, 24, 0, 2, 1, 11, 4}) + bytes.substr(28));
  expect_file_error(load_bad, bad, "n_layers");
  write_bytes(bad, header_bytes({16, 24, 1, 3, 1, 11, 4}) + bytes.substr(28));
  expect_file_error(load_bad, bad, "n_heads");
  write_bytes(bad, header_bytes({16, 24, 1, 4, 3, 11, 4}) + bytes.substr(28));
  expect_file_error(load_bad, bad, "n_kv_heads");
  write_bytes(bad, header_bytes({18, 24, 1, 6, 1, 11, 4}) + bytes.substr(28));  // head_dim 3: no RoPE pairs
  expect_file_error(load_bad, bad, "even");
  write_bytes(bad, header_bytes({1 << 30, 24, 1, 2, 1, 11, 4}) + bytes.substr(28));  // huge: checked before allocating
  expect_file_error(load_bad, bad, "dim");
  write_bytes(bad, header_bytes({16, 24, 1, 2, 1, INT32_MIN, 4}) + bytes.substr(28));
  expect_file_error(load_bad, bad, "vocab_size");
  std::string garbage(4096, '\0');
  for (size_t i = 0; i < garbage.size(); ++i) garbage[i] = char((i * 2654435761u) >> 13);
  write_bytes(bad, garbage);
  expect_file_error(load_bad, bad, "not a llama2.c checkpoint");
  std::string with_nan = bytes;
  const float nan = NAN;
  std::memcpy(&with_nan[28 + 5 * sizeof(float)], &nan, sizeof nan);
  write_bytes(bad, with_nan);
  expect_file_error(load_bad, bad, "token_embedding holds a non-finite value");
  std::remove(good.c_str());
  std::remove(bad.c_str());
}

std::string tokenizer_bytes(int32_t max_length, const std::vector<std::pair<float, std::string>>& tokens) {
  std::string bytes = header_bytes({max_length});
  for (const auto& [score, piece] : tokens) {
    bytes.append(reinterpret_cast<const char*>(&score), sizeof score);
    bytes += header_bytes({int32_t(piece.size())}) + piece;
  }
  return bytes;
}

TEST(LlmTokenizer, BadFilesGiveAOneLineErrorNamingTheFile) {
  const std::string path = temp_path("tok.bin");
  const std::vector<std::pair<float, std::string>> tokens = {{0.0f, "<unk>"}, {0.0f, "<s>"}, {0.0f, "</s>"}, {-1.0f, "ab"}};
  write_bytes(path, tokenizer_bytes(5, tokens));
  EXPECT_EQ(load_tokenizer(path, 4).piece(3), "ab");
  auto load = [&] { load_tokenizer(path, 4); };
  expect_file_error([&] { load_tokenizer(temp_path("missing_tok.bin"), 4); }, temp_path("missing_tok.bin"), "cannot open");
  expect_file_error([&] { load_tokenizer(AQPIM_BINARY_DIR, 4); }, AQPIM_BINARY_DIR, "not a regular file");
  expect_file_error([&] { load_tokenizer(data_path("stories260K.bin"), 512); }, data_path("stories260K.bin"),
                    "not a llama2.c tokenizer");
  expect_file_error([&] { load_tokenizer(path, 5); }, path, "truncated");  // fewer tokens than the model's vocab
  expect_file_error([&] { load_tokenizer(path, 3); }, path, "oversized");
  const std::string good = tokenizer_bytes(5, tokens);
  write_bytes(path, good.substr(0, good.size() - 1));
  expect_file_error(load, path, "truncated");
  write_bytes(path, tokenizer_bytes(1, tokens));
  expect_file_error(load, path, "length 5");
  write_bytes(path, tokenizer_bytes(0, tokens));
  expect_file_error(load, path, "max_token_length");
  std::string negative = good;
  const int32_t minus_one = -1;
  std::memcpy(&negative[4 + 4], &minus_one, 4);  // token 0's length
  write_bytes(path, negative);
  expect_file_error(load, path, "length -1");
  write_bytes(path, "");
  expect_file_error(load, path, "truncated");
  std::remove(path.c_str());
}

// llama2.c's encode(), transcribed: O(n^2) rescans of every adjacent pair, the first best pair wins.
std::vector<int32_t> reference_encode(const Tokenizer& t, const std::string& text, bool bos) {
  std::map<std::string, int32_t> ids;
  for (size_t id = t.vocab_size(); id-- > 0;) ids[t.piece(int32_t(id))] = int32_t(id);  // lowest id wins
  auto lookup = [&](const std::string& s) { return ids.count(s) ? ids[s] : -1; };
  std::vector<int32_t> tokens;
  if (bos) tokens.push_back(1);
  if (!text.empty()) tokens.push_back(lookup(" "));
  std::string buffer;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((text[i] & 0xC0) != 0x80) buffer.clear();
    buffer += text[i];
    if (i + 1 < text.size() && (text[i + 1] & 0xC0) == 0x80 && buffer.size() < 4) continue;
    if (lookup(buffer) != -1) {
      tokens.push_back(lookup(buffer));
    } else {
      for (unsigned char byte : buffer) tokens.push_back(int32_t(byte) + 3);
    }
    buffer.clear();
  }
  while (true) {
    float best_score = -1e10f;
    int32_t best_id = -1;
    size_t best_index = 0;
    for (size_t i = 0; i + 1 < tokens.size(); ++i) {
      const int32_t id = lookup(t.piece(tokens[i]) + t.piece(tokens[i + 1]));
      if (id != -1 && t.score(id) > best_score) best_score = t.score(id), best_id = id, best_index = i;
    }
    if (best_id == -1) break;
    tokens[best_index] = best_id;
    tokens.erase(tokens.begin() + ptrdiff_t(best_index) + 1);
  }
  return tokens;
}

TEST(LlmTokenizer, EncodeEqualsLlama2csQuadraticMergeLoopAndDecodeInvertsIt) {
  const std::string shakespeare = read_file_bytes(data_path("tinyshakespeare_head40k.txt")).substr(0, 1500);
  const std::string wiki = read_file_bytes(data_path("wikitext2_test_head40k.txt")).substr(0, 1500);  // BOM, <unk>
  for (const std::string& text : {std::string("Once upon a time"), shakespeare, wiki, std::string(""),
                                  std::string("caf\xc3\xa9 \xe6\xbc\xa2\xe5\xad\x97 \x01\x7f tab\there"),
                                  std::string("  double  spaces\n\nnew lines")}) {
    SCOPED_TRACE(text.substr(0, 40));
    for (bool bos : {true, false}) {
      const std::vector<int32_t> tokens = tokenizer().encode(text, bos, false);
      EXPECT_EQ(tokens, reference_encode(tokenizer(), text, bos));
      if (bos) {
        EXPECT_EQ(tokenizer().decode(tokens), text);
      }
    }
  }
  EXPECT_EQ(tokenizer().encode("a", true, true).back(), kEosToken);

  // Equal scores: llama2.c merges the leftmost best pair first ("aaa" -> "aa" "a", not "a" "aa").
  const Tokenizer ties({"<unk>", "<s>", "</s>", " ", "a", "aa", "b", "ab"}, {0, 0, 0, 0, 0, 1, 0, 1}, 2);
  for (const std::string text : {"aaa", "aaaaa", "abab", "aab"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(ties.encode(text, true, false), reference_encode(ties, text, true));
  }
  EXPECT_EQ(ties.encode("aaa", false, false), (std::vector<int32_t>{3, 5, 4}));
  EXPECT_EQ(tokenizer().decode(kBosToken, tokenizer().lookup("<0x41>")), "A");
}

}  // namespace
}  // namespace aqpim::core::llm
