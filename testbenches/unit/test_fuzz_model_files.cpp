// Fuzzed real-model files: corrupted copies (cut short, bytes overwritten, junk inserted, spans deleted or
// repeated) of the vendored llama2.c checkpoint and tokenizer, and of a small checkpoint written here. A
// loader accepts the bytes (a changed weight may still be a finite float) or throws FileFormatError with
// one line that starts with the path; never another exception, a crash or an out-of-bounds read. Through
// the commands that read them (aqpim accuracy, aqpim run with workload.source=llama2c), texts included:
// the command runs, or refuses the file with one line and exit 2.
#include <fstream>
#include <iterator>
#include <string>

#include <gtest/gtest.h>

#include "core/llm/file_error.h"
#include "core/llm/llama2_checkpoint.h"
#include "core/llm/tokenizer.h"
#include "harness/fuzz.h"
#include "test_llm_support.h"
#include "test_sweep_support.h"

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

// One file a command reads, the option naming it, and the rest of the command line (every other file
// absolute, a short evaluation).
struct CommandInput {
  const char* key;
  const char* vendored;
  const char* command;
};

TEST(FuzzModelFiles, CommandsRunOrRefuseEveryCorruptedInputOnOneLine) {
  const std::string data = std::string(AQPIM_SOURCE_DIR) + "/data/realdata/";
  const std::string accuracy = "accuracy --set data.segments=1 --set data.segment_tokens=64 --set data.model=" + data +
                               "stories260K.bin --set data.tokenizer=" + data + "tok512.bin --set data.text=" + data +
                               "tinyshakespeare_head40k.txt --set data.calibration=" + data + "wikitext2_test_head40k.txt";
  const std::string run = "run --set model.preset=stories260k --set workload.source=llama2c --set sim.mode=functional "
                          "--set workload.context_tokens=64 --set workload.decode_steps=2 --set workload.batch=1 "
                          "--set pq.sub_vectors=4 --set pq.centroids=16 --set workload.model_file=" + data +
                          "stories260K.bin --set workload.tokenizer_file=" + data + "tok512.bin --set workload.text_file=" +
                          data + "tinyshakespeare_head40k.txt";
  const CommandInput inputs[] = {{"data.model", "stories260K.bin", accuracy.c_str()},
                                 {"data.tokenizer", "tok512.bin", accuracy.c_str()},
                                 {"data.text", "tinyshakespeare_head40k.txt", accuracy.c_str()},
                                 {"data.calibration", "wikitext2_test_head40k.txt", accuracy.c_str()},
                                 {"workload.model_file", "stories260K.bin", run.c_str()},
                                 {"workload.tokenizer_file", "tok512.bin", run.c_str()},
                                 {"workload.text_file", "tinyshakespeare_head40k.txt", run.c_str()}};
  const std::string path = test::temp_path("fuzz_input.bin");
  fuzz::run_fuzz("command inputs", 34, 140, [&](fuzz::FuzzRandom& random, size_t index) {
    const CommandInput& input = inputs[index % std::size(inputs)];
    const fuzz::Corruption corruption = fuzz::corrupt(random, file_bytes(data + input.vendored));
    std::ofstream(path, std::ios::binary | std::ios::trunc) << corruption.bytes;
    // The later --set of the key wins over the vendored file named in the command.
    const auto result = fuzz::run_aqpim(std::string(input.command) + " --set " + input.key + "=" + path);
    const std::string what = std::string(input.key) + " " + corruption.kind;
    if (result.exit_code == 0) return fuzz::passed(what + ", ran");
    if (result.exit_code == 2 && fuzz::one_line_starting(result.err, "aqpim: error: ")) return fuzz::passed(what + ", refused");
    return fuzz::failed(what + ": exit " + std::to_string(result.exit_code) + ", stderr '" + result.err + "'");
  });
}

}  // namespace
}  // namespace aqpim::core::llm
