// What `aqpim accuracy` evaluates, as --set keys of their own: the model, tokenizer, evaluated and calibration
// texts, how the text is cut into segments, and the KV-cache back end with its knobs
// (core::llm::AccuracyConfig). Not platform parameters: they have their own table, loaded by the platform's
// machinery (platform::ParamLoader::apply_to), so ranges, types and one-line errors behave the same.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/llm/evaluation.h"
#include "platform/params.h"

namespace aqpim::apps {

// The evaluated text: a file, or stories the model samples itself (in-domain for the TinyStories models).
enum class TextSource { file, generated };
inline constexpr core::EnumName<TextSource> kTextSourceNames[] = {{TextSource::file, "file"},
                                                                  {TextSource::generated, "generated"}};

struct AccuracySettings {
  // Relative paths are read from the current directory: the defaults are the vendored files, for runs from
  // the repository root.
  std::string model = "data/realdata/stories260K.bin";
  std::string tokenizer = "data/realdata/tok512.bin";
  TextSource text_source = TextSource::file;
  std::string text = "data/realdata/tinyshakespeare_head40k.txt";
  int64_t generate_seed = 7;  // first seed of the generated stories (one story per seed, temperature 1)
  std::string calibration = "data/realdata/wikitext2_test_head40k.txt";
  size_t calibration_tokens = 512;
  size_t segments = 4;
  size_t segment_tokens = 512;
  size_t skip_tokens = 0;
  core::llm::AccuracyConfig config;  // back end, prefill length, every back end's options
};

// The table of accuracy keys over `settings` (key, unit, documentation, range, field).
std::vector<platform::ParamSpec> accuracy_table(AccuracySettings& settings);

// The key reference (docs/accuracy-keys.md), generated from the table.
std::string accuracy_keys_markdown();

// Where an unknown-key message sends the user.
inline constexpr const char* kAccuracyKeysListing = "'aqpim accuracy --keys' lists them all";

// Defaults, then the loader's sources in order (platform::ParamError on a bad key, type or range).
AccuracySettings resolve_accuracy_settings(const platform::ParamLoader& sources);

// The rules that need the model's shape (sub-vector widths dividing head_dim, segment length within seq_len,
// prefill within the segment...) and those between keys; platform::ParamError naming the keys.
void validate_accuracy_settings(const AccuracySettings& settings, const core::llm::LlamaConfig& model);

// The KEY=VALUE assignments of `settings` that differ from the defaults, in table order (how a grid row is
// reproduced with `aqpim accuracy --set ...`).
std::vector<std::string> changed_settings(const AccuracySettings& settings);

}  // namespace aqpim::apps
