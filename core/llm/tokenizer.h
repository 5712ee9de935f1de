// llama2.c's tokenizer (run.c): a sentencepiece-style BPE vocabulary with one score per piece.
//
// tokenizer.bin: int32 max_token_length, then for each of vocab_size tokens: float score, int32 length,
// `length` bytes (no terminator). Token 0 = <unk>, 1 = BOS, 2 = EOS, 3..258 = the byte pieces <0x00>..<0xFF>.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace aqpim::core::llm {

inline constexpr int32_t kBosToken = 1;
inline constexpr int32_t kEosToken = 2;

class Tokenizer {
 public:
  Tokenizer(std::vector<std::string> pieces, std::vector<float> scores, size_t max_token_length);

  size_t vocab_size() const { return pieces_.size(); }
  size_t max_token_length() const { return max_token_length_; }
  const std::string& piece(int32_t token) const;
  float score(int32_t token) const;
  // The lowest token id whose piece is exactly `text`, or -1.
  int32_t lookup(const std::string& text) const;

  // llama2.c's encode(): optional BOS; a dummy-prefix " " token when the text is not empty; every UTF-8
  // code point (at most 4 bytes) becomes its piece, or its bytes become byte tokens (byte + 3) when the
  // vocabulary lacks it; then, repeatedly, the adjacent pair whose concatenation is a piece with the highest
  // score is merged (the leftmost pair on ties, scores above -1e10 only) until no pair merges; optional EOS.
  // Same tokens as run.c, in O(n log n) instead of its O(n^2) rescans, so whole texts can be encoded.
  // Unlike run.c, a NUL byte does not end the text (it becomes the byte token <0x00>).
  std::vector<int32_t> encode(const std::string& text, bool bos, bool eos) const;

  // llama2.c's decode(): the piece of `token`, without its leading space when previous is BOS, and the raw
  // byte for a piece of the form <0xHH>.
  std::string decode(int32_t previous, int32_t token) const;
  // The concatenated decoding of tokens[1..] (each decoded after its predecessor), as run.c prints a
  // generation whose tokens[0] is the prompt's first token (usually BOS).
  std::string decode(const std::vector<int32_t>& tokens) const;

 private:
  std::vector<std::string> pieces_;
  std::vector<float> scores_;
  size_t max_token_length_ = 0;
  std::unordered_map<std::string, int32_t> ids_;
};

// Reads tokenizer.bin with exactly vocab_size tokens (the model's vocab_size, as run.c does). Throws
// FileFormatError ("<path>: <what>") for a missing, truncated or oversized file, a negative or too long token
// length, or a non-finite score. Never crashes on bad input.
Tokenizer load_tokenizer(const std::string& path, size_t vocab_size);

}  // namespace aqpim::core::llm
