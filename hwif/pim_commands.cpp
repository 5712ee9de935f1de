#include "hwif/pim_commands.h"

#include <cstdio>
#include <stdexcept>

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

void RegisterMap::validate() const {
  const auto require = [](bool ok, const std::string& what) {
    if (!ok) throw std::invalid_argument("register_map." + what);
  };
  require(window_bytes >= 4096 && window_bytes <= (uint64_t(1) << 40) && (window_bytes & (window_bytes - 1)) == 0,
          "window_bytes = " + std::to_string(window_bytes) + ": expected a power of two in [4096, 2^40]");
  require(window_stride >= 3 * window_bytes && window_stride >= reg::registers_end && window_stride <= (uint64_t(1) << 42),
          "window_stride = " + std::to_string(window_stride) + ": expected [3 x window_bytes, 2^42] (" +
              std::to_string(3 * window_bytes) + " at least)");
  require(pe_windows >= 4 * window_stride && pe_windows <= (uint64_t(1) << 48),
          "pe_windows = " + std::to_string(pe_windows) + ": expected [4 x window_stride, 2^48] (" +
              std::to_string(4 * window_stride) + " at least)");
}

std::string register_reference_markdown() {
  std::string text = "| register | offset | bytes | read | write | meaning |\n|---|---|---|---|---|---|\n";
  for (const auto& r : kRegisters)
    text += "| `" + std::string(r.name) + "` | " + hex(r.offset) + " | " + std::to_string(r.bytes) + " | " +
            length_text(r.read) + " | " + length_text(r.write) + " | " + std::string(r.doc) + " |\n";
  text += "\n| window | offset (standard map) | offset (`RegisterMap::compact()`) | content |\n|---|---|---|---|\n";
  const auto offset = [](const WindowInfo& w, const RegisterMap& map) {
    if (!w.per_pe) return hex(w.offset / reg::io_buffer * map.window_stride);  // unit windows: slots 1..3
    return hex(map.pe_windows) + " + p x " + hex(map.window_stride) + " + " +
           hex(w.offset / reg::sub_window * map.window_bytes);
  };
  for (const auto& w : kWindows)
    text += "| `" + std::string(w.name) + "` | " + offset(w, RegisterMap{}) + " | " + offset(w, RegisterMap::compact()) +
            " | " + std::string(w.doc) + " |\n";
  return text;
}

}  // namespace aqpim::hwif::pim
