#include "apps/atomic_file.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace aqpim::apps {
namespace {

constexpr const char* kTemporaryMark = ".tmp-";

std::string temporary_for(const std::string& path) { return path + kTemporaryMark + std::to_string(getpid()); }

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) throw std::runtime_error("cannot write '" + path + "'");
}

void rename_into_place(const std::string& from, const std::string& to) {
  if (std::rename(from.c_str(), to.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    std::remove(from.c_str());
    throw std::runtime_error("cannot write '" + to + "': " + reason);
  }
}

}  // namespace

void write_file_atomically(const std::string& path, const std::string& text) {
  const std::string temporary = temporary_for(path);
  try {
    write_text(temporary, text);
  } catch (const std::runtime_error&) {
    std::remove(temporary.c_str());
    throw std::runtime_error("cannot write '" + path + "'");
  }
  rename_into_place(temporary, path);
}

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)), temporary_(temporary_for(path_)) {
  std::ofstream probe(temporary_, std::ios::binary | std::ios::trunc);
  if (!probe) throw std::runtime_error("cannot write '" + path_ + "'");
}

AtomicFile::~AtomicFile() {
  if (!committed_) std::remove(temporary_.c_str());
}

void AtomicFile::commit(const std::string* text) {
  if (text) write_text(temporary_, *text);
  rename_into_place(temporary_, path_);
  committed_ = true;
}

bool is_atomic_temporary(const std::string& file_name) {
  return file_name.find(kTemporaryMark) != std::string::npos;
}

}  // namespace aqpim::apps
