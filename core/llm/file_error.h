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

// The whole file as bytes; FileFormatError if it cannot be opened or read.
std::string read_file_bytes(const std::string& path);

}  // namespace aqpim::core::llm
