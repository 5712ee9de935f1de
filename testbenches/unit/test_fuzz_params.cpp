// Fuzzed parameter input: --set strings and parameter files, random and adversarial (deep nesting, huge
// numbers, NaN, duplicate keys, non-UTF-8 bytes, control characters, 10 MB). Through the command line's
// own entry (dispatch), each input is either a valid parameter set (exit 0) or refused with exactly one
// line, "aqpim: error: ...", and exit 2; never another exit code, a second line or a crash.
#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "apps/cli_options.h"
#include "harness/fuzz.h"

namespace aqpim::apps {
namespace {

using test::between;
using test::FuzzRandom;
using test::FuzzVerdict;
using test::pick;

struct Outcome {
  int exit_code;
  std::string err;
};

Outcome run_cli(const std::vector<std::string>& args) {
  ::testing::internal::CaptureStdout();
  ::testing::internal::CaptureStderr();
  const int code = dispatch(args);
  ::testing::internal::GetCapturedStdout();
  return {code, ::testing::internal::GetCapturedStderr()};
}

// Accepted, or refused as bad input on exactly one line.
FuzzVerdict judge(const Outcome& outcome, const std::string& input) {
  if (outcome.exit_code == kExitOk) return test::passed("accepted");
  const std::string& err = outcome.err;
  const bool one_line = !err.empty() && err.back() == '\n' && err.find('\n') == err.size() - 1;
  if (outcome.exit_code != kExitBadInput || !one_line || err.rfind("aqpim: error: ", 0) != 0)
    return test::failed("exit " + std::to_string(outcome.exit_code) + ", stderr '" + err + "' for input '" +
                        input.substr(0, 200) + "'");
  return test::passed("refused");
}

std::string random_bytes(FuzzRandom& random, size_t length) {
  std::string bytes(length, '\0');
  for (char& c : bytes) c = char(between(random, 1, 255));  // argv cannot hold a NUL
  return bytes;
}

std::vector<std::string> parameter_keys() {
  platform::PlatformParams params;
  std::vector<std::string> keys;
  for (const auto& spec : platform::parameter_table(params)) keys.push_back(spec.key);
  return keys;
}

std::string random_key(FuzzRandom& random, const std::vector<std::string>& keys) {
  std::string key = keys[random() % keys.size()];
  switch (random() % 6) {
    case 0: return key.substr(0, key.find('.'));                    // a group
    case 1: return key + pick<std::string>(random, {"x", ".y", " "});  // a near miss
    case 2: return random_bytes(random, random() % 24);
    default: return key;
  }
}

// Numbers at and past every limit, reals JSON cannot hold, words, whitespace, control and non-UTF-8 bytes.
std::string random_value(FuzzRandom& random) {
  switch (random() % 4) {
    case 0:
      return pick<std::string>(random, {"0", "-1", "1", "9223372036854775807", "9223372036854775808",
                                        "-9223372036854775809", "1e308", "1e309", "-0", "1e-400", "nan", "NaN",
                                        "inf", "-inf", "0x10", " 5", "5 ", "5x", "", "1.5", "true", "off"});
    case 1:
      return pick<std::string>(random, {"bank", "BANK", "bank_group\n", "tiny", "mistral-7b", "aqpim\r", "histogram",
                                        "functional", "timing\t", "\xff\xfe", "caf\xc3", "\xe2\x82"});
    case 2: return std::to_string(int64_t(random()) >> between(random, 0, 62));
    default: return random_bytes(random, random() % 4 ? random() % 32 : 100000);
  }
}

TEST(FuzzParams, SetStrings) {
  const auto keys = parameter_keys();
  test::run_fuzz("--set strings", 21, 6000, [&](FuzzRandom& random, size_t) {
    std::string assignment = random_key(random, keys) + "=" + random_value(random);
    if (random() % 16 == 0) assignment.erase(assignment.find('='), 1);
    std::vector<std::string> args = {"params", "--set", assignment};
    if (random() % 4 == 0) args.insert(args.end(), {"--set", random_key(random, keys) + "=" + random_value(random)});
    return judge(run_cli(args), assignment);
  });
}

// ---- parameter files -------------------------------------------------------------------------------

std::string temp_file(const std::string& text) {
  const std::string path = ::testing::TempDir() + "/" + std::to_string(getpid()) + "-fuzz-params.json";
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

// A JSON value of random type; mostly a scalar of the kinds a parameter may take.
nlohmann::json random_json_value(FuzzRandom& random, int depth = 0) {
  switch (random() % (depth > 2 ? 6 : 8)) {
    case 0: return nullptr;
    case 1: return random() % 2 == 0;
    case 2: return int64_t(random()) >> between(random, 0, 62);
    case 3: return pick<double>(random, {0.5, -1.0, 1e300, 5e-324, 3.0});
    case 4: return pick<std::string>(random, {"bank", "tiny", "", "x"});
    case 5: return uint64_t(random());
    case 6: return nlohmann::json::array({random_json_value(random, depth + 1)});
    default: return {{"k", random_json_value(random, depth + 1)}};
  }
}

// A document the loader might see: the defaults with values changed, keys added or groups replaced; or
// hand-written text that JSON allows but a parameter file cannot mean, or that is not JSON at all.
std::string random_parameter_text(FuzzRandom& random, const std::vector<std::string>& keys) {
  const auto repeat = [](const std::string& text, size_t times) {
    std::string out;
    for (size_t i = 0; i < times; ++i) out += text;
    return out;
  };
  const size_t depth = pick<size_t>(random, {15, 16, 17, 100, 100000});
  switch (random() % 10) {
    case 0: return repeat("[", depth) + repeat("]", depth);
    case 1: return "{\"hbm\": " + repeat("{\"a\": ", depth) + "1" + repeat("}", depth) + "}";
    case 2:
      return pick<std::string>(random, {R"({"hbm": {"stacks": 1e400}})", R"({"hbm": {"stacks": 123456789012345678901234567890}})",
                                        R"({"gpu": {"peak_tflops": NaN}})", R"({"gpu": {"peak_tflops": Infinity}})",
                                        R"({"hbm": {"stacks": 4, "stacks": 5}})", R"({"hbm": {}, "hbm": {}})",
                                        "\xef\xbb\xbf{}", R"({"hbm": {"stacks": 4,}})", "{} // comment", "", "   ", "null",
                                        "[]", "{\"pim\": {\"placement\": \"bank\xff\"}}", "{\"\xc3\": 1}",
                                        R"({"model": {"preset": "tiny"}})", R"({"workload": {"batch": -0}})"});
    case 3: return test::corrupt(random, platform::to_json(platform::PlatformParams()).dump(1)).bytes;
    default: {
      nlohmann::json document = platform::to_json(platform::PlatformParams());
      const size_t changes = 1 + random() % 3;
      for (size_t i = 0; i < changes; ++i) {
        std::string pointer = "/" + random_key(random, keys);
        for (char& c : pointer) c = c == '.' ? '/' : c;
        try {
          document[nlohmann::json::json_pointer(pointer)] = random_json_value(random);
        } catch (const nlohmann::json::exception&) {
          document["unknown"] = random_json_value(random);  // the key was no valid pointer
        }
      }
      return document.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
  }
}

TEST(FuzzParams, ParameterFiles) {
  const auto keys = parameter_keys();
  test::run_fuzz("parameter files", 22, 4000, [&](FuzzRandom& random, size_t) {
    const std::string text = random_parameter_text(random, keys);
    return judge(run_cli({"params", "--config", temp_file(text)}), text);
  });
}

TEST(FuzzParams, TenMegabyteFileIsRefusedOnOneLine) {
  const std::string text = R"({"hbm": {"stacks": 5}, "note": ")" + std::string(10 << 20, 'x') + "\"}";
  const Outcome outcome = run_cli({"params", "--config", temp_file(text)});
  EXPECT_TRUE(judge(outcome, "10 MB").passed);
  EXPECT_EQ(outcome.exit_code, kExitBadInput);
  EXPECT_NE(outcome.err.find("parameter files are at most 1048576 bytes"), std::string::npos) << outcome.err;
}

TEST(FuzzParams, AdversarialFilesGetTheirOwnMessages) {
  const struct {
    const char* text;
    const char* message;
  } cases[] = {
      {R"({"hbm": {"stacks": 4, "stacks": 5}})", "key 'stacks' appears twice in one object"},
      {"[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]", "nested deeper than 16 levels"},
      {R"({"hbm": {"stacks": 1e400}})", "number overflow"},
      {R"({"gpu": {"peak_tflops": NaN}})", "is not valid JSON"},
      {"{\"pim\": {\"placement\": \"bank\xff\"}}", "is not valid JSON"},
  };
  for (const auto& c : cases) {
    const Outcome outcome = run_cli({"params", "--config", temp_file(c.text)});
    EXPECT_EQ(outcome.exit_code, kExitBadInput) << c.text;
    EXPECT_NE(outcome.err.find(c.message), std::string::npos) << outcome.err;
  }
}

}  // namespace
}  // namespace aqpim::apps
