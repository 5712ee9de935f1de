// One table of names per enum, from which parsing, printing and the list of accepted names all come: a
// new enumerator is one new row, and no `switch` elsewhere has to be edited in step.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace aqpim::core {

template <class Enum>
struct EnumName {
  Enum value;
  std::string_view name;
};

// The name of `value`, or "?" for a value the table does not list.
template <class Enum, size_t N>
constexpr std::string_view enum_name(const EnumName<Enum> (&names)[N], Enum value) {
  for (const auto& entry : names)
    if (entry.value == value) return entry.name;
  return "?";
}

template <class Enum, size_t N>
constexpr std::optional<Enum> parse_enum(const EnumName<Enum> (&names)[N], std::string_view name) {
  for (const auto& entry : names)
    if (entry.name == name) return entry.value;
  return std::nullopt;
}

template <class Enum, size_t N>
std::vector<std::string> enum_names(const EnumName<Enum> (&names)[N]) {
  std::vector<std::string> list;
  for (const auto& entry : names) list.emplace_back(entry.name);
  return list;
}

}  // namespace aqpim::core
