#include "core/llm/tokenizer.h"

#include <cmath>
#include <cstring>
#include <queue>
#include <stdexcept>

#include "core/argument_checks.h"
#include "core/llm/file_error.h"

namespace aqpim::core::llm {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A merge candidate: the pair (left, right) of the linked token list would become `merged`.
struct Candidate {
  float score;
  size_t left, right;
  uint32_t left_version, right_version;
  int32_t merged;
};
// Highest score first; on equal scores the leftmost pair (llama2.c scans left to right and keeps the first
// strictly better pair). Nodes never change order, so the left node's index is its position order.
struct WorseCandidate {
  bool operator()(const Candidate& a, const Candidate& b) const {
    return a.score != b.score ? a.score < b.score : a.left > b.left;
  }
};

}  // namespace

Tokenizer::Tokenizer(std::vector<std::string> pieces, std::vector<float> scores, size_t max_token_length)
    : pieces_(std::move(pieces)), scores_(std::move(scores)), max_token_length_(max_token_length) {
  if (pieces_.size() != scores_.size())
    throw_argument_error("scores", "must have one score per piece (" + std::to_string(pieces_.size()) + ")",
                         std::to_string(scores_.size()));
  require_range("vocab_size", pieces_.size(), 1, size_t(INT32_MAX));
  for (size_t id = 0; id < pieces_.size(); ++id) ids_.emplace(pieces_[id], int32_t(id));  // keeps the lowest id
}

const std::string& Tokenizer::piece(int32_t token) const {
  if (token < 0 || size_t(token) >= pieces_.size())
    throw_argument_error("token", "must be in 0.." + std::to_string(pieces_.size() - 1), std::to_string(token));
  return pieces_[size_t(token)];
}

float Tokenizer::score(int32_t token) const {
  piece(token);
  return scores_[size_t(token)];
}

int32_t Tokenizer::lookup(const std::string& text) const {
  const auto found = ids_.find(text);
  return found == ids_.end() ? -1 : found->second;
}

std::vector<int32_t> Tokenizer::encode(const std::string& text, bool bos, bool eos) const {
  std::vector<int32_t> tokens;
  auto push_bytes = [&](const std::string& bytes) {
    for (unsigned char byte : bytes) {
      const size_t id = size_t(byte) + 3;  // ids 0..2 are <unk>, <s>, </s>
      if (id >= pieces_.size())
        throw_argument_error("text", "needs the byte token " + std::to_string(id) + " the vocabulary lacks",
                             "byte " + std::to_string(byte));
      tokens.push_back(int32_t(id));
    }
  };
  if (bos) tokens.push_back(kBosToken);
  if (!text.empty()) {
    const int32_t dummy_prefix = lookup(" ");
    if (dummy_prefix >= 0)
      tokens.push_back(dummy_prefix);
    else
      push_bytes(" ");
  }
  std::string code_point;
  for (size_t c = 0; c < text.size(); ++c) {
    const unsigned char byte = static_cast<unsigned char>(text[c]);
    if ((byte & 0xC0) != 0x80) code_point.clear();  // not a continuation byte: a new code point starts
    code_point.push_back(char(byte));
    const bool continuation_follows =
        c + 1 < text.size() && (static_cast<unsigned char>(text[c + 1]) & 0xC0) == 0x80;
    if (continuation_follows && code_point.size() < 4) continue;
    const int32_t id = lookup(code_point);
    if (id >= 0)
      tokens.push_back(id);
    else
      push_bytes(code_point);
    code_point.clear();
  }

  // Greedy BPE merges over a linked list, best pair from a heap; stale heap entries are skipped.
  const size_t count = tokens.size();
  std::vector<size_t> next(count), previous(count);
  std::vector<uint32_t> version(count, 0);
  std::vector<bool> alive(count, true);
  for (size_t i = 0; i < count; ++i) next[i] = i + 1, previous[i] = i - 1;  // previous[0] wraps to SIZE_MAX: none
  std::priority_queue<Candidate, std::vector<Candidate>, WorseCandidate> heap;
  auto consider = [&](size_t left, size_t right) {
    const int32_t merged = lookup(pieces_[size_t(tokens[left])] + pieces_[size_t(tokens[right])]);
    if (merged >= 0 && scores_[size_t(merged)] > -1e10f)
      heap.push({scores_[size_t(merged)], left, right, version[left], version[right], merged});
  };
  for (size_t i = 0; i + 1 < count; ++i) consider(i, i + 1);
  while (!heap.empty()) {
    const Candidate best = heap.top();
    heap.pop();
    if (!alive[best.left] || !alive[best.right] || next[best.left] != best.right ||
        version[best.left] != best.left_version || version[best.right] != best.right_version)
      continue;
    tokens[best.left] = best.merged;
    ++version[best.left];
    alive[best.right] = false;
    next[best.left] = next[best.right];
    if (next[best.left] < count) previous[next[best.left]] = best.left;
    if (previous[best.left] < count) consider(previous[best.left], best.left);
    if (next[best.left] < count) consider(best.left, next[best.left]);
  }
  std::vector<int32_t> merged;
  merged.reserve(count + 1);
  for (size_t i = 0; i < count; i = next[i]) merged.push_back(tokens[i]);
  if (eos) merged.push_back(kEosToken);
  return merged;
}

std::string Tokenizer::decode(int32_t previous, int32_t token) const {
  const std::string& text = piece(token);
  if (text.size() == 6 && text.compare(0, 3, "<0x") == 0 && text[5] == '>' && hex_digit(text[3]) >= 0 &&
      hex_digit(text[4]) >= 0)
    return std::string(1, char(hex_digit(text[3]) * 16 + hex_digit(text[4])));
  // After BOS, sentencepiece's decoder strips the leading space of the first piece.
  if (previous == kBosToken && !text.empty() && text[0] == ' ') return text.substr(1);
  return text;
}

std::string Tokenizer::decode(const std::vector<int32_t>& tokens) const {
  std::string text;
  for (size_t i = 1; i < tokens.size(); ++i) text += decode(tokens[i - 1], tokens[i]);
  return text;
}

Tokenizer load_tokenizer(const std::string& path, size_t vocab_size) {
  const std::string bytes = read_file_bytes(path);
  size_t offset = 0;
  auto take = [&](void* out, size_t size, const std::string& what) {
    if (bytes.size() - offset < size)
      throw FileFormatError(path, "truncated llama2.c tokenizer: " + std::to_string(bytes.size()) +
                                      " bytes end inside " + what);
    std::memcpy(out, bytes.data() + offset, size);
    offset += size;
  };
  if (vocab_size == 0 || vocab_size > size_t(INT32_MAX))
    throw FileFormatError(path, "cannot read a tokenizer of " + std::to_string(vocab_size) + " tokens");
  int32_t max_token_length = 0;
  take(&max_token_length, sizeof max_token_length, "max_token_length");
  if (max_token_length <= 0 || max_token_length > (1 << 16))
    throw FileFormatError(path, "not a llama2.c tokenizer: max_token_length " + std::to_string(max_token_length) +
                                    " is not in 1..65536");
  std::vector<std::string> pieces(vocab_size);
  std::vector<float> scores(vocab_size);
  for (size_t id = 0; id < vocab_size; ++id) {
    const std::string which = "token " + std::to_string(id) + " of " + std::to_string(vocab_size);
    int32_t length = 0;
    take(&scores[id], sizeof(float), which);
    if (!std::isfinite(scores[id]))
      throw FileFormatError(path, "not a llama2.c tokenizer: " + which + " has a non-finite score");
    take(&length, sizeof length, which);
    if (length < 0 || length > max_token_length)
      throw FileFormatError(path, "not a llama2.c tokenizer: " + which + " has length " + std::to_string(length) +
                                      ", not in 0..max_token_length = " + std::to_string(max_token_length));
    pieces[id].resize(size_t(length));
    if (length > 0) take(&pieces[id][0], size_t(length), which);
  }
  if (offset != bytes.size())
    throw FileFormatError(path, "oversized llama2.c tokenizer: " + std::to_string(bytes.size() - offset) +
                                    " bytes follow the " + std::to_string(vocab_size) +
                                    " tokens the model's vocab_size asks for");
  return Tokenizer(std::move(pieces), std::move(scores), size_t(max_token_length));
}

}  // namespace aqpim::core::llm
