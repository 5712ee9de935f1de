// Result files appear whole or not at all: they are written to a temporary file next to their place and
// renamed over it (a rename within one file system is atomic), so a process killed while writing leaves
// no half-written JSON or CSV, only a temporary "<name>.tmp-<pid>" that readers never look at.
#pragma once

#include <string>

namespace aqpim::apps {

// Throws std::runtime_error naming the path when it cannot be written.
void write_file_atomically(const std::string& path, const std::string& text);

// An output opened long before its content exists (a run's --json report, a trace): the temporary file is
// created at once, so a bad path fails before the work; commit() puts it in place. Without a commit the
// temporary file is removed.
class AtomicFile {
 public:
  explicit AtomicFile(std::string path);  // throws std::runtime_error when the path cannot be written
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  const std::string& path() const { return path_; }
  const std::string& temporary_path() const { return temporary_; }
  // Replaces the temporary file's content with `text` (when given) and renames it to path().
  void commit(const std::string* text = nullptr);

 private:
  std::string path_, temporary_;
  bool committed_ = false;
};

// Whether a file name is one of AtomicFile's temporaries (left behind by a killed process).
bool is_atomic_temporary(const std::string& file_name);

}  // namespace aqpim::apps
