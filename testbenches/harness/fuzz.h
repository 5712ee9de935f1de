// Bounded, seeded property tests. run_fuzz() runs a fixed number of cases from a fixed seed; each case gets
// its own generator (seeded from the seed and its index, so a failing case replays alone), is generated,
// run and judged by the body, which returns a verdict: passed with an outcome ("accepted", "rejected:
// bad_shape", ...), or failed with the reason. The first failure ends the run naming seed and case; at the
// end the tally by outcome is printed and recorded (properties "fuzz_cases" and "fuzz_seed"), so the
// suite's output says how many cases every fuzzer tried. No timing is asserted anywhere.
#pragma once

#include <cstdint>
#include <fstream>
#include <initializer_list>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <utility>

#include <gtest/gtest.h>

namespace aqpim::test {

struct FuzzVerdict {
  bool passed = true;
  std::string text;  // the outcome when passed, the reason when failed
};
inline FuzzVerdict passed(std::string outcome) { return {true, std::move(outcome)}; }
inline FuzzVerdict failed(std::string reason) { return {false, std::move(reason)}; }

using FuzzRandom = std::mt19937_64;

// Runs `cases` cases of body(FuzzRandom&, case index) -> FuzzVerdict; returns the tally by outcome.
template <class Body>
std::map<std::string, size_t> run_fuzz(const std::string& name, uint64_t seed, size_t cases, Body&& body) {
  std::map<std::string, size_t> tally;
  size_t ran = 0;
  for (; ran < cases; ++ran) {
    std::seed_seq case_seed{seed, uint64_t(ran)};
    FuzzRandom random(case_seed);
    const FuzzVerdict verdict = body(random, ran);
    if (!verdict.passed) {
      ADD_FAILURE() << name << ": case " << ran << " of seed " << seed << " failed: " << verdict.text;
      ++ran;
      break;
    }
    ++tally[verdict.text];
  }
  std::cout << "[   FUZZ   ] " << name << ": " << ran << " cases, seed " << seed;
  for (const auto& [outcome, count] : tally) std::cout << "; " << outcome << " " << count;
  std::cout << std::endl;
  ::testing::Test::RecordProperty("fuzz_cases", std::to_string(ran));
  ::testing::Test::RecordProperty("fuzz_seed", std::to_string(seed));
  return tally;
}

// Small helpers shared by the generators.
template <class T>
T pick(FuzzRandom& random, std::initializer_list<T> values) {
  return *(values.begin() + random() % values.size());
}
inline uint64_t between(FuzzRandom& random, uint64_t low, uint64_t high) {
  return low + (high - low == UINT64_MAX ? random() : random() % (high - low + 1));
}
// A value around one of the limits a field has (0, 1, limit - 1, limit, limit + 1, the type's maximum), or
// anywhere below the limit: boundaries are where checks go wrong.
inline uint64_t near_limit(FuzzRandom& random, uint64_t limit, uint64_t type_max = UINT64_MAX) {
  switch (random() % 8) {
    case 0: return 0;
    case 1: return 1;
    case 2: return limit ? limit - 1 : 0;
    case 3: return limit;
    case 4: return limit < type_max ? limit + 1 : limit;
    case 5: return type_max;
    default: return limit ? random() % limit : 0;
  }
}

// A corrupted copy of a file's bytes and what was done to it: cut short, bytes overwritten, junk inserted,
// a span deleted or repeated. Every kind keeps the result a different byte string than the input.
struct Corruption {
  std::string bytes;
  std::string kind;
};
inline Corruption corrupt(FuzzRandom& random, const std::string& original) {
  std::string bytes = original;
  const size_t size = bytes.size();
  const size_t at = size ? random() % size : 0;
  switch (random() % 5) {
    case 0:
      return {bytes.substr(0, at), "truncated"};
    case 1: {
      const size_t count = 1 + random() % 8;
      for (size_t i = 0; i < count && size; ++i) bytes[random() % size] = char(random());
      return {bytes == original ? bytes + '\x01' : bytes, "overwritten"};
    }
    case 2: {
      std::string junk(1 + random() % 16, '\0');
      for (char& c : junk) c = char(random());
      return {bytes.insert(at, junk), "inserted"};
    }
    case 3:
      return {bytes.erase(at, 1 + random() % 64), "deleted"};
    default: {
      const std::string span = bytes.substr(at, 1 + random() % 64);
      return {bytes.insert(at, span + span), "repeated"};
    }
  }
}

// Writes `cases` corrupted copies of `original` to `path`, one at a time, and judges each with read(kind):
// the reader of that file kind must accept the bytes or refuse them its documented way.
template <class Read>
std::map<std::string, size_t> fuzz_file_corruptions(const std::string& name, uint64_t seed, size_t cases,
                                                    const std::string& original, const std::string& path, Read&& read) {
  return run_fuzz(name, seed, cases, [&](FuzzRandom& random, size_t) {
    const Corruption corruption = corrupt(random, original);
    std::ofstream(path, std::ios::binary | std::ios::trunc)
        .write(corruption.bytes.data(), std::streamsize(corruption.bytes.size()));
    FuzzVerdict verdict = read();
    verdict.text = corruption.kind + ", " + verdict.text;
    return verdict;
  });
}

}  // namespace aqpim::test
