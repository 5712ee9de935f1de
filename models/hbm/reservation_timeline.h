// The commands a bank-parallel channel has placed, as one bit per command clock cycle in a few lanes (ACTs
// of the channel and of each bank group, reads and writes of the channel and of each group, busy cycles
// of the data bus). A later request may place a command before earlier-placed ones, so the constraints
// are checked in both directions: "is any command of this lane within d cycles of c" is a question about
// a few 64-bit words. Cycles below a moving floor are forgotten (nothing can be placed there any more);
// the ring grows when commands are placed far ahead of it.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace aqpim::models::hbm {

class ReservationTimeline {
 public:
  static constexpr int64_t kNone = INT64_MIN;

  explicit ReservationTimeline(unsigned lanes) : lanes_(lanes) { words_.assign(size_t(capacity_) * lanes_, 0); }

  void set(unsigned lane, int64_t cycle) {
    const int64_t word = cycle >> 6;
    if (word >= first_word_ + capacity_) grow(word);
    mark(lane, word, uint64_t(1) << (cycle & 63));
  }
  // Sets cycles [from, from + count), count <= 64.
  void set_span(unsigned lane, int64_t from, int64_t count) {
    const int64_t last_word = (from + count - 1) >> 6;
    if (last_word >= first_word_ + capacity_) grow(last_word);
    const uint64_t bits = low_bits(unsigned(count));
    const unsigned offset = unsigned(from & 63);
    mark(lane, from >> 6, bits << offset);
    if (offset + count > 64) mark(lane, last_word, bits >> (64 - offset));
  }

  // Cycles [from, from + 63] of a lane as one word: bit i is cycle from + i.
  uint64_t window(unsigned lane, int64_t from) const {
    const int64_t word = from >> 6;
    const unsigned offset = unsigned(from & 63);
    const uint64_t low = word_at(lane, word) >> offset;
    return offset == 0 ? low : low | word_at(lane, word + 1) << (64 - offset);
  }
  static uint64_t low_bits(unsigned count) { return count >= 64 ? ~uint64_t(0) : (uint64_t(1) << count) - 1; }

  // The latest set cycle in [lo, hi], or kNone. Inline for the common one-window span: every search step
  // of the scheduler asks this a few times.
  [[gnu::always_inline]] int64_t last_set(unsigned lane, int64_t lo, int64_t hi) const {
    if (hi < lo) return kNone;
    if (hi - lo >= 64) return last_set_wide(lane, lo, hi);
    const uint64_t bits = window(lane, lo) & low_bits(unsigned(hi - lo + 1));
    return bits != 0 ? lo + 63 - __builtin_clzll(bits) : kNone;
  }
  int64_t last_set_wide(unsigned lane, int64_t lo, int64_t hi) const {
    for (int64_t to = hi; to >= lo; to -= 64) {
      const int64_t from = std::max(lo, to - 63);
      const uint64_t bits = window(lane, from) & low_bits(unsigned(to - from + 1));
      if (bits != 0) return from + 63 - __builtin_clzll(bits);
    }
    return kNone;
  }
  // The earliest set cycle in [lo, hi], or kNone.
  int64_t first_set(unsigned lane, int64_t lo, int64_t hi) const {
    for (int64_t from = lo; from <= hi; from += 64) {
      const uint64_t bits = window(lane, from) & low_bits(unsigned(std::min<int64_t>(hi - from + 1, 64)));
      if (bits != 0) return from + __builtin_ctzll(bits);
    }
    return kNone;
  }
  // Set cycles in [lo, hi], counted up to `limit` (sparse lanes: no popcount instruction needed).
  unsigned count(unsigned lane, int64_t lo, int64_t hi, unsigned limit) const {
    unsigned total = 0;
    for (int64_t from = lo; from <= hi && total < limit; from += 64)
      total += count_bits(window(lane, from) & low_bits(unsigned(std::min<int64_t>(hi - from + 1, 64))), limit - total);
    return total;
  }
  static unsigned count_bits(uint64_t bits, unsigned limit) {
    unsigned total = 0;
    for (; bits != 0 && total < limit; bits &= bits - 1) ++total;
    return total;
  }

  // Nothing will be placed or asked about below `cycle` any more.
  void forget_below(int64_t cycle) {
    const int64_t word = cycle >> 6;
    if (word <= first_word_) return;
    for (int64_t w = first_word_; w < std::min(word, end_word_); ++w)
      std::fill_n(&words_[size_t(w & (capacity_ - 1)) * lanes_], lanes_, uint64_t(0));
    first_word_ = word;
    end_word_ = std::max(end_word_, first_word_);
  }

 private:
  void mark(unsigned lane, int64_t word, uint64_t bits) {
    if (word < first_word_) return;  // below the floor: can no longer matter
    words_[size_t(word & (capacity_ - 1)) * lanes_ + lane] |= bits;
    if (word >= end_word_) end_word_ = word + 1;
  }
  uint64_t word_at(unsigned lane, int64_t word) const {
    if (word < first_word_ || word >= end_word_) return 0;
    return words_[size_t(word & (capacity_ - 1)) * lanes_ + lane];
  }
  // Makes room up to `word`, keeping every live word at its place modulo the new capacity.
  [[gnu::noinline]] void grow(int64_t word) {
    int64_t capacity = capacity_;
    while (word >= first_word_ + capacity) capacity *= 2;
    std::vector<uint64_t> words(size_t(capacity) * lanes_, 0);
    for (int64_t w = first_word_; w < end_word_; ++w)
      std::copy_n(&words_[size_t(w & (capacity_ - 1)) * lanes_], lanes_, &words[size_t(w & (capacity - 1)) * lanes_]);
    words_.swap(words);
    capacity_ = capacity;
  }

  unsigned lanes_;
  int64_t capacity_ = 64;  // words, a power of two: 4,096 cycles
  int64_t first_word_ = 0;  // words below are forgotten
  int64_t end_word_ = 0;    // words from here on are all zero
  std::vector<uint64_t> words_;
};

}  // namespace aqpim::models::hbm
