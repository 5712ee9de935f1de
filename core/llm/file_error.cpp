#include "core/llm/file_error.h"

#include <fstream>
#include <iterator>

namespace aqpim::core::llm {

std::string read_file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FileFormatError(path, "cannot open the file");
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw FileFormatError(path, "cannot read the file");
  return bytes;
}

}  // namespace aqpim::core::llm
