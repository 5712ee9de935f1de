#include "hwif/pim_commands.h"

#include <cstdio>

namespace aqpim::hwif::pim {
namespace {

constexpr core::EnumName<Length> kLengthNames[] = {
    {Length::none, "-"}, {Length::exact, "exactly"}, {Length::up_to, "up to"}, {Length::any, "any"}};
std::string length_text(Length length) { return std::string(core::enum_name(kLengthNames, length)); }

std::string hex(uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof text, "0x%llx", static_cast<unsigned long long>(value));
  return text;
}

}  // namespace

std::string register_reference_markdown() {
  std::string text = "| register | offset | bytes | read | write | meaning |\n|---|---|---|---|---|---|\n";
  for (const auto& r : kRegisters)
    text += "| `" + std::string(r.name) + "` | " + hex(r.offset) + " | " + std::to_string(r.bytes) + " | " +
            length_text(r.read) + " | " + length_text(r.write) + " | " + std::string(r.doc) + " |\n";
  text += "\n| window | offset | content |\n|---|---|---|\n";
  for (const auto& w : kWindows)
    text += "| `" + std::string(w.name) + "` | " + (w.per_pe ? hex(reg::pe_windows) + " + p x " + hex(reg::pe_window) + " + " : "") +
            hex(w.offset) + " | " + std::string(w.doc) + " |\n";
  return text;
}

}  // namespace aqpim::hwif::pim
