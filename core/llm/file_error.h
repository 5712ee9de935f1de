// One error type for every file the real-model path reads (checkpoints, tokenizers, texts). Its message is one
// line, "<path>: <what is wrong>", meant to be printed as is by a command-line tool (which then exits 2).
#pragma once

#include <stdexcept>
#include <string>

namespace aqpim::core::llm {

class FileFormatError : public std::runtime_error {
 public:
  FileFormatError(const std::string& path, const std::string& problem)
      : std::runtime_error(path + ": " + problem), path_(path) {}
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The whole file as bytes; FileFormatError if it is missing, not a regular file, or cannot be read.
std::string read_file_bytes(const std::string& path);
// FileFormatError unless path names an existing regular file (a directory would open and then fail to read).
void require_regular_file(const std::string& path, const std::string& what);

}  // namespace aqpim::core::llm
