#include "platform/params.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

namespace aqpim::platform {
namespace {

using json = nlohmann::json;

std::string join(const std::vector<std::string>& items, const std::string& separator) {
  std::string text;
  for (size_t i = 0; i < items.size(); ++i) text += (i ? separator : "") + items[i];
  return text;
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// User text quoted in a message, cut short: a message is one line a person reads, whatever was typed.
std::string quoted_input(const std::string& text) {
  constexpr size_t kShown = 60;
  return "'" + (text.size() > kShown ? text.substr(0, kShown - 3) + "..." : text) + "'";
}

std::string unknown_key_message(const std::string& key, const std::string& source,
                                const std::vector<ParamSpec>& table) {
  const ParamSpec* closest = nullptr;
  size_t best = std::numeric_limits<size_t>::max();
  // No key is longer than this; beyond it a suggestion is pointless and the distance quadratic.
  constexpr size_t kLongestSuggestible = 64;
  for (const auto& spec : table) {
    if (key.size() > kLongestSuggestible) break;
    size_t distance = edit_distance(key, spec.key);
    if (distance < best) best = distance, closest = &spec;
  }
  std::string message = "unknown parameter " + quoted_input(key) + " in " + source;
  if (closest && best <= std::max<size_t>(3, key.size() / 4)) message += " (did you mean '" + closest->key + "'?)";
  return message;
}

std::string describe_json(const json& value) {
  // Invalid UTF-8 (possible in a document built in code) is shown replaced rather than thrown about.
  std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return std::string(value.type_name()) + " " + text;
}

// Parameter keys are a few levels deep; a deeper document is a mistake, and its depth would drive the
// recursion of flattening and printing it. Files are read whole, so they are bounded in size too.
constexpr size_t kMaxJsonDepth = 16;
constexpr uintmax_t kMaxParameterFileBytes = 1 << 20;

// How deep `document` nests objects and arrays (a scalar is 0), without recursion.
size_t nesting_depth(const json& document) {
  size_t deepest = 0;
  std::vector<std::pair<const json*, size_t>> pending = {{&document, 0}};
  while (!pending.empty()) {
    const auto [node, depth] = pending.back();
    pending.pop_back();
    if (!node->is_structured()) continue;
    deepest = std::max(deepest, depth + 1);
    if (depth + 1 > kMaxJsonDepth) break;
    for (const auto& child : *node) pending.push_back({&child, depth + 1});
  }
  return deepest;
}

// Parses a parameter file's text, refusing what JSON allows but a parameter file cannot mean: nesting
// beyond kMaxJsonDepth (stopped while parsing) and a key given twice in one object (which value would win?).
json parse_parameter_text(const std::string& text, const std::string& source) {
  std::vector<std::set<std::string>> keys;  // per open object
  const json::parser_callback_t check = [&](int depth, json::parse_event_t event, json& parsed) {
    if (size_t(depth) > kMaxJsonDepth)
      throw ParamError("parameter file " + source + ": nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
    if (event == json::parse_event_t::object_start) keys.emplace_back();
    if (event == json::parse_event_t::object_end && !keys.empty()) keys.pop_back();
    if (event == json::parse_event_t::key && !keys.empty() && !keys.back().insert(parsed.get<std::string>()).second)
      throw ParamError("parameter file " + source + ": key " + quoted_input(parsed.get<std::string>()) +
                       " appears twice in one object");
    return true;
  };
  try {
    return json::parse(text, check);
  } catch (const json::exception& error) {
    std::string what = error.what();
    // nlohmann prefixes "[json.exception.parse_error.101] "; the user needs the position and the reason.
    auto bracket = what.find("] ");
    throw ParamError("parameter file " + source + " is not valid JSON: " +
                     (bracket == std::string::npos ? what : what.substr(bracket + 2)));
  }
}

[[noreturn]] void fail_value(const ParamSpec& spec, const std::string& source, const std::string& got) {
  throw ParamError("parameter '" + spec.key + "' in " + source + ": expected " + accepted_values(spec) +
                   ", got " + got);
}

bool parse_int(const std::string& text, int64_t& out) {
  if (text.empty()) return false;
  errno = 0;
  char* end = nullptr;
  long long value = std::strtoll(text.c_str(), &end, 10);
  if (errno != 0 || *end != '\0') return false;
  out = value;
  return true;
}

bool parse_real(const std::string& text, double& out) {
  if (text.empty()) return false;
  errno = 0;
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (errno != 0 || *end != '\0' || !std::isfinite(value)) return false;
  out = value;
  return true;
}

// Writes one value into the field a spec describes, checking type and range. Exactly one of json_value /
// text is meaningful: files carry typed JSON, the command line carries text interpreted by the field type.
void assign(const ParamSpec& spec, const json* json_value, const std::string& text, const std::string& source) {
  const std::string got = json_value ? describe_json(*json_value) : quoted_input(text);
  std::visit(
      [&](auto& field) {
        using Field = std::decay_t<decltype(field)>;
        if constexpr (std::is_same_v<Field, IntRange>) {
          int64_t value = 0;
          bool ok = json_value ? (json_value->is_number_integer() &&
                                  !(json_value->is_number_unsigned() &&
                                    json_value->get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max())))
                               : parse_int(text, value);
          if (ok && json_value) value = json_value->get<int64_t>();
          if (!ok || value < field.min || value > field.max) fail_value(spec, source, got);
          field.set(value);
        } else if constexpr (std::is_same_v<Field, RealRange>) {
          double value = 0;
          bool ok = json_value ? json_value->is_number() : parse_real(text, value);
          if (ok && json_value) value = json_value->get<double>();
          if (!ok || !(value >= field.min && value <= field.max)) fail_value(spec, source, got);
          field.set(value);
        } else if constexpr (std::is_same_v<Field, Flag>) {
          if (json_value) {
            if (!json_value->is_boolean()) fail_value(spec, source, got);
            *field.value = json_value->get<bool>();
          } else if (text == "true" || text == "1" || text == "on") {
            *field.value = true;
          } else if (text == "false" || text == "0" || text == "off") {
            *field.value = false;
          } else {
            fail_value(spec, source, got);
          }
        } else {
          std::string value;
          if (json_value) {
            if (!json_value->is_string()) fail_value(spec, source, got);
            value = json_value->get<std::string>();
          } else {
            value = text;
          }
          if constexpr (std::is_same_v<Field, Choice>) {
            if (std::find(field.choices.begin(), field.choices.end(), value) == field.choices.end())
              fail_value(spec, source, quoted_input(value));
          } else if (value.empty() && !field.empty_allowed) {
            fail_value(spec, source, "an empty string");
          }
          field.set(value);
        }
      },
      spec.field);
}

}  // namespace

std::string format_real(double value) {
  if (value == std::floor(value) && std::fabs(value) < 1e15) return std::to_string(int64_t(value));
  std::ostringstream out;
  out.precision(std::numeric_limits<double>::max_digits10);
  out << value;
  // Shortest text that reads back exactly is nicer for humans; max_digits10 only when needed.
  for (int digits = 1; digits <= std::numeric_limits<double>::max_digits10; ++digits) {
    std::ostringstream shorter;
    shorter.precision(digits);
    shorter << value;
    if (std::strtod(shorter.str().c_str(), nullptr) == value) return shorter.str();
  }
  return out.str();
}

std::string accepted_values(const ParamSpec& spec) {
  return std::visit(
      [](const auto& field) -> std::string {
        using Field = std::decay_t<decltype(field)>;
        if constexpr (std::is_same_v<Field, IntRange>)
          return "an integer in [" + std::to_string(field.min) + ", " + std::to_string(field.max) + "]";
        else if constexpr (std::is_same_v<Field, RealRange>)
          return "a number in [" + format_real(field.min) + ", " + format_real(field.max) + "]";
        else if constexpr (std::is_same_v<Field, Flag>)
          return "true or false";
        else if constexpr (std::is_same_v<Field, Choice>)
          return "one of " + join(field.choices, ", ");
        else
          return field.what;
      },
      spec.field);
}

std::string current_value(const ParamSpec& spec) {
  return std::visit(
      [](const auto& field) -> std::string {
        using Field = std::decay_t<decltype(field)>;
        if constexpr (std::is_same_v<Field, IntRange>)
          return std::to_string(field.get());
        else if constexpr (std::is_same_v<Field, RealRange>)
          return format_real(field.get());
        else if constexpr (std::is_same_v<Field, Flag>)
          return *field.value ? "true" : "false";
        else
          return field.get();
      },
      spec.field);
}

void ParamLoader::add_file(const std::string& path) {
  std::error_code error;
  const auto kind = std::filesystem::status(path, error).type();
  if (kind == std::filesystem::file_type::directory) throw ParamError("parameter file '" + path + "' is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ParamError("cannot read parameter file '" + path + "'");
  const uintmax_t size = std::filesystem::file_size(path, error);
  if (!error && size > kMaxParameterFileBytes)
    throw ParamError("parameter file '" + path + "' has " + std::to_string(size) + " bytes; parameter files are at most " +
                     std::to_string(kMaxParameterFileBytes) + " bytes");
  std::ostringstream text;
  text << in.rdbuf();
  add_json(parse_parameter_text(text.str(), "'" + path + "'"), "'" + path + "'");
}

void ParamLoader::add_json(const json& document, const std::string& source_name) {
  if (!document.is_object())
    throw ParamError("parameter file " + source_name + ": expected a JSON object at the top level, got " +
                     document.type_name());
  if (nesting_depth(document) > kMaxJsonDepth)
    throw ParamError("parameter file " + source_name + ": nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  flatten(document, "", source_name);
}

void ParamLoader::flatten(const json& node, const std::string& prefix, const std::string& source) {
  for (const auto& [name, value] : node.items()) {
    std::string key = prefix.empty() ? name : prefix + "." + name;
    if (value.is_object())
      flatten(value, key, source);
    else
      assignments_.push_back({key, source, std::make_shared<const json>(value), ""});
  }
}

void ParamLoader::add_override(const std::string& key_equals_value, const std::string& source) {
  auto equals = key_equals_value.find('=');
  if (equals == std::string::npos || equals == 0)
    throw ParamError(source + " " + quoted_input(key_equals_value) + ": expected KEY=VALUE, e.g. " + source + " " + example_);
  assignments_.push_back({key_equals_value.substr(0, equals), source, nullptr, key_equals_value.substr(equals + 1)});
}

void ParamLoader::apply_where(const std::vector<ParamSpec>& table, const std::string& listing,
                              const std::function<bool(const Assignment&)>& selected) const {
  auto find_spec = [&](const Assignment& assignment) -> const ParamSpec& {
    for (const auto& spec : table)
      if (spec.key == assignment.key) return spec;
    // A key that is a prefix of real keys is a group written as a scalar ("hbm": 5).
    for (const auto& spec : table)
      if (spec.key.rfind(assignment.key + ".", 0) == 0)
        throw ParamError("parameter group " + quoted_input(assignment.key) + " in " + assignment.source +
                         ": expected an object of parameters, not a single value");
    throw ParamError(unknown_key_message(assignment.key, assignment.source, table) + "; " + listing);
  };
  for (const auto& assignment : assignments_)
    if (selected(assignment))
      assign(find_spec(assignment), assignment.json_value.get(), assignment.text_value, assignment.source);
}

void ParamLoader::apply_to(const std::vector<ParamSpec>& table, const std::string& listing) const {
  apply_where(table, listing, [](const Assignment&) { return true; });
}

PlatformParams ParamLoader::resolve() const {
  PlatformParams params;
  const auto table = parameter_table(params);
  const std::string listing = "'aqpim params' lists them all";
  // Presets first, whatever the order of the sources: a preset fills its group, other values then override.
  const auto is_preset = [](const Assignment& assignment) {
    return assignment.key == "model.preset" || assignment.key == "hbm.preset";
  };
  apply_where(table, listing, is_preset);
  for (const auto& preset : model_presets())
    if (preset.name == params.model.preset) params.model = preset.shape;
  models::apply_hbm_preset(params.hbm.preset, params.hbm.channel);
  apply_where(table, listing, [&](const Assignment& assignment) { return !is_preset(assignment); });
  validate(params);
  return params;
}

json to_json(const PlatformParams& params) {
  PlatformParams copy = params;
  return to_json(parameter_table(copy));
}

json to_json(const std::vector<ParamSpec>& table) {
  json document = json::object();
  for (const auto& spec : table) {
    json::json_pointer pointer("/" + [&] {
      std::string path = spec.key;
      std::replace(path.begin(), path.end(), '.', '/');
      return path;
    }());
    std::visit(
        [&](const auto& field) {
          if constexpr (std::is_same_v<std::decay_t<decltype(field)>, Flag>)
            document[pointer] = *field.value;
          else
            document[pointer] = field.get();
        },
        spec.field);
  }
  return document;
}

std::string to_markdown_reference(const PlatformParams& defaults) {
  PlatformParams copy = defaults;
  std::ostringstream out;
  out << "# Parameter reference\n\n"
      << "Generated by `aqpim params --markdown`; a test fails when this file and the code disagree.\n"
      << "Set parameters in a JSON file (nested objects follow the dots: `{\"hbm\": {\"timing\": {\"nCL\": 20}}}`)\n"
      << "passed with `--config FILE`, or one at a time with `--set KEY=VALUE`; later sources win, and\n"
      << "`model.preset` / `hbm.preset` are applied before every other `model.*` / `hbm.*` value. Unknown keys, wrong types and\n"
      << "out-of-range values are errors (exit code 2).\n\n";
  out << markdown_tables(parameter_table(copy));
  out << "\n## Model presets\n\n| preset | layers | hidden | heads | kv_heads | head_dim | ffn_hidden | vocab | notes |\n"
      << "|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& preset : model_presets()) {
    const auto& s = preset.shape;
    out << "| `" << preset.name << "` | " << s.layers << " | " << s.hidden << " | " << s.heads << " | " << s.kv_heads
        << " | " << s.head_dim << " | " << s.ffn_hidden << " | " << s.vocab << " | " << preset.description << " |\n";
  }
  out << "\n## HBM presets\n\n| preset | pseudo-channel | tCK | nCL | nRCDRD | nRP | nRAS | nFAW | source |\n"
      << "|---|---|---|---|---|---|---|---|---|\n";
  for (const auto& entry : models::kHbmPresetNames) {
    if (entry.value == models::HbmPreset::None) continue;
    models::Hbm3PseudoChannelConfig c;
    models::apply_hbm_preset(entry.value, c);
    const auto& t = c.timing;
    out << "| `" << entry.name << "` | " << c.data_width_bits << "-bit, " << format_real(c.data_rate_gbps) << " Gbit/s, "
        << c.bank_groups << " x " << c.banks_per_group << " banks | " << format_real(c.tCK.to_seconds() * 1e9)
        << " ns | " << t.nCL << " | " << t.nRCDRD << " | " << t.nRP << " | " << t.nRAS << " | " << t.nFAW << " | "
        << models::hbm_preset_source(entry.value) << " |\n";
  }
  return out.str();
}

std::string markdown_tables(const std::vector<ParamSpec>& table) {
  std::ostringstream out;
  std::string group;
  for (const auto& spec : table) {
    std::string spec_group = spec.key.substr(0, spec.key.find('.'));
    if (spec_group != group) {
      group = spec_group;
      out << "\n## " << group << "\n\n| key | default | unit | accepted | meaning |\n|---|---|---|---|---|\n";
    }
    out << "| `" << spec.key << "` | " << current_value(spec) << " | " << spec.unit << " | "
        << accepted_values(spec) << " | " << spec.doc << " |\n";
  }
  return out.str();
}

const std::vector<ModelPreset>& model_presets() {
  // Shapes from each model's published config.json (Hugging Face model cards).
  static const std::vector<ModelPreset> presets = {
      {"mistral-7b", "Mistral-7B-v0.1, GQA 4:1", {"mistral-7b", 32, 4096, 32, 8, 128, 14336, 32000}},
      {"llama-3-8b", "Llama-3-8B, GQA 4:1", {"llama-3-8b", 32, 4096, 32, 8, 128, 14336, 128256}},
      {"llama-3.2-3b", "Llama-3.2-3B, GQA 3:1", {"llama-3.2-3b", 28, 3072, 24, 8, 128, 8192, 128256}},
      {"llama-2-7b", "Llama-2-7B, multi-head attention", {"llama-2-7b", 32, 4096, 32, 32, 128, 11008, 32000}},
      {"tiny", "Small test model for functional runs", {"tiny", 2, 512, 4, 2, 128, 1024, 1000}},
      {"stories260k", "llama2.c stories260K (data/realdata), for workload.source=llama2c",
       {"stories260k", 5, 64, 8, 4, 8, 172, 512}},
  };
  return presets;
}

}  // namespace aqpim::platform
