// Fuzzed real-model files: corrupted copies (cut short, bytes overwritten, junk inserted, spans deleted or
// repeated) of the vendored llama2.c checkpoint and tokenizer, and of a small checkpoint written here. A
// loader accepts the bytes (a changed weight may still be a finite float) or throws FileFormatError with
// one line that starts with the path; never another exception, a crash or an out-of-bounds read.
#include <fstream>
#include <iterator>
#include <string>

#include <gtest/gtest.h>

#include "core/llm/file_error.h"
#include "core/llm/llama2_checkpoint.h"
#include "core/llm/tokenizer.h"
#include "harness/fuzz.h"
#include "test_llm_support.h"

namespace aqpim::core::llm {
namespace {

namespace fuzz = ::aqpim::test;  // core::llm::test is the real-model tests' own support

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Runs a loader on the corrupted file: loaded, or refused with one line naming the file.
template <class Load>
fuzz::FuzzVerdict judge_load(const std::string& path, Load&& load) {
  try {
    load();
    return fuzz::passed("loaded");
  } catch (const FileFormatError& error) {
    const std::string message = error.what();
    if (message.rfind(path + ": ", 0) != 0 || message.find('\n') != std::string::npos)
      return fuzz::failed("message not one line naming the file: " + message);
    return fuzz::passed("refused");
  } catch (const std::exception& error) {
    return fuzz::failed(std::string("not a FileFormatError: ") + error.what());
  }
}

TEST(FuzzModelFiles, VendoredCheckpoint) {
  const std::string path = test::temp_path("fuzz_stories.bin");
  fuzz::fuzz_file_corruptions("stories260K.bin", 31, 400, file_bytes(test::data_path("stories260K.bin")), path,
                              [&] { return judge_load(path, [&] { load_llama2_checkpoint(path); }); });
}

TEST(FuzzModelFiles, SmallUnsharedCheckpoint) {
  const std::string good = test::temp_path("fuzz_small_good.bin"), path = test::temp_path("fuzz_small.bin");
  test::write_checkpoint(test::random_model(16, 24, 2, 2, 1, 11, 4, false, 5), good);
  fuzz::fuzz_file_corruptions("small checkpoint", 32, 3000, file_bytes(good), path,
                              [&] { return judge_load(path, [&] { load_llama2_checkpoint(path); }); });
}

TEST(FuzzModelFiles, VendoredTokenizer) {
  const std::string path = test::temp_path("fuzz_tok512.bin");
  fuzz::fuzz_file_corruptions("tok512.bin", 33, 3000, file_bytes(test::data_path("tok512.bin")), path,
                              [&] { return judge_load(path, [&] { load_tokenizer(path, 512); }); });
}

}  // namespace
}  // namespace aqpim::core::llm
