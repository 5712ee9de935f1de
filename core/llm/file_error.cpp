#include "core/llm/file_error.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

namespace aqpim::core::llm {

void require_regular_file(const std::string& path, const std::string& what) {
  std::error_code error;
  const std::filesystem::file_status status = std::filesystem::status(path, error);
  if (!std::filesystem::exists(status)) throw FileFormatError(path, "cannot open the " + what + ": no such file");
  if (!std::filesystem::is_regular_file(status))
    throw FileFormatError(path, "cannot open the " + what + ": not a regular file");
}

std::string read_file_bytes(const std::string& path) {
  require_regular_file(path, "file");
  try {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw FileFormatError(path, "cannot open the file");
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) throw FileFormatError(path, "cannot read the file");
    return bytes;
  } catch (const std::ios_base::failure& failure) {
    throw FileFormatError(path, std::string("cannot read the file: ") + failure.what());
  }
}

}  // namespace aqpim::core::llm
