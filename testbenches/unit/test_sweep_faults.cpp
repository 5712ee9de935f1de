// Sweeps survive faults: a run killed on purpose is recorded as failed with its signal while the others
// finish and the exit status says so; --resume runs again exactly the configurations without a result
// (never run, killed, unreadable) and gives the complete sweep's table; result files appear whole or not
// at all, even when the writer is killed.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "apps/atomic_file.h"
#include "test_sweep_support.h"

extern char** environ;

namespace aqpim::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Starts `aqpim ARGUMENTS...` without waiting; its stdout and stderr go to `log`.
pid_t start_aqpim(const std::vector<std::string>& arguments, const std::string& log) {
  std::vector<std::string> words = {std::string(AQPIM_BINARY_DIR) + "/bin/aqpim"};
  words.insert(words.end(), arguments.begin(), arguments.end());
  std::vector<char*> argv;
  for (auto& word : words) argv.push_back(word.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = 0;
  const int error = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return error == 0 ? pid : -1;
}

// A child of `parent` whose command line contains `marker`, or -1.
pid_t find_child(pid_t parent, const std::string& marker) {
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string stat = read_file(entry.path().string() + "/stat");
    const size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    int parent_of = -1;
    if (std::sscanf(stat.c_str() + close + 1, " %*c %d", &parent_of) != 1 || parent_of != parent) continue;
    std::string command_line = read_file(entry.path().string() + "/cmdline");
    for (char& c : command_line) c = c ? c : ' ';
    if (command_line.find(marker) != std::string::npos) return pid_t(std::stoi(name));
  }
  return -1;
}

int wait_exit_code(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(SweepFaults, AKilledRunIsRecordedWithItsSignalAndTheOthersFinish) {
  const std::string out = fresh_directory("sweep");
  // Config 0 would decode for minutes (AttAcc's fp16 cache of a million tokens fits, AQPIM's layout would
  // not): it is killed as soon as it runs.
  const pid_t sweep = start_aqpim({"sweep", "--set", "model.preset=tiny", "--set", "sim.design=attacc", "--set",
                                   "workload.context_tokens=512", "--vary", "workload.decode_steps=1000000,3",
                                   "--jobs", "2", "--out", out},
                                  out + "/sweep.log");
  ASSERT_GT(sweep, 0);
  pid_t victim = -1;
  for (int attempt = 0; attempt < 600 && victim < 0; ++attempt) {
    victim = find_child(sweep, "workload.decode_steps=1000000");
    if (victim < 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (victim < 0) kill(sweep, SIGKILL);
  ASSERT_GT(victim, 0) << "the sweep never started config 0";
  ASSERT_EQ(kill(victim, SIGKILL), 0);

  EXPECT_EQ(wait_exit_code(sweep), 1) << read_file(out + "/sweep.log");  // one configuration failed
  const json table = read_json(out + "/sweep.json");
  EXPECT_EQ(table["rows"][0]["status"], "failed");
  EXPECT_EQ(table["rows"][0]["exit_code"], 128 + SIGKILL);
  EXPECT_EQ(table["rows"][0]["error"], "killed by signal 9 (Killed)");
  EXPECT_EQ(table["rows"][1]["status"], "ok");
  EXPECT_FALSE(fs::exists(out + "/runs/0000.json")) << "a killed run left a report";
  EXPECT_NE(read_file(out + "/sweep.log").find("config 0 (workload.decode_steps=1000000) failed, exit 137: killed by signal 9"),
            std::string::npos)
      << read_file(out + "/sweep.log");
}

struct FileStamp {
  ino_t inode;
  timespec modified;
  bool operator==(const FileStamp& other) const {
    return inode == other.inode && modified.tv_sec == other.modified.tv_sec && modified.tv_nsec == other.modified.tv_nsec;
  }
};
FileStamp stamp(const std::string& path) {
  struct stat info {};
  stat(path.c_str(), &info);
  return {info.st_ino, info.st_mtim};
}

TEST(SweepFaults, ResumeRunsAgainExactlyTheConfigurationsWithoutAResult) {
  const std::string out = fresh_directory("sweep");
  const std::string grid = std::string(kSmallRun) + " --vary workload.context_tokens=256:512:x2 --set pim.mapping=token --vary pim.placement=bank,bank_group";
  ASSERT_EQ(run_aqpim("sweep " + grid + " --jobs 2 --out " + out).exit_code, 0);
  const json complete = read_json(out + "/sweep.json");
  const FileStamp kept = stamp(out + "/runs/0000.json");

  // Config 1 never ran, config 2's report was cut short, config 3 was killed.
  fs::remove(out + "/runs/0001.exit");
  const std::string report = read_file(out + "/runs/0002.json");
  std::ofstream(out + "/runs/0002.json", std::ios::trunc) << report.substr(0, report.size() / 2);
  std::ofstream(out + "/runs/0003.exit", std::ios::trunc) << "137\n";

  const auto collected = run_aqpim("sweep --collect " + out);
  EXPECT_EQ(collected.exit_code, 2);
  EXPECT_TRUE(one_line_starting(collected.err, "aqpim: error: 1 result file(s) cannot be read, first " + out +
                                                   "/runs/0002.json: not valid JSON"));
  const json damaged = read_json(out + "/sweep.json");
  EXPECT_EQ(damaged["rows"][0]["status"], "ok");
  EXPECT_EQ(damaged["rows"][1]["status"], "not run");
  EXPECT_EQ(damaged["rows"][2]["status"], "failed");
  EXPECT_EQ(damaged["rows"][3]["error"], "killed by signal 9 (Killed)");

  const auto resumed = run_aqpim("sweep --resume " + out + " --jobs 2");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_NE(resumed.err.find("sweep: 3 of 4 configurations"), std::string::npos) << resumed.err;
  EXPECT_EQ(resumed.err.find("config 0 "), std::string::npos) << resumed.err;
  for (const char* config : {"config 1 ", "config 2 ", "config 3 "})
    EXPECT_NE(resumed.err.find(config), std::string::npos) << config << resumed.err;
  EXPECT_TRUE(stamp(out + "/runs/0000.json") == kept) << "config 0 ran again";
  EXPECT_EQ(without_wall_time(read_json(out + "/sweep.json")), without_wall_time(complete));
  EXPECT_EQ(run_aqpim("sweep --resume " + out + "/nothing").exit_code, 2);
}

// The writer is killed after writing half of its text: the file is absent, never half there.
TEST(SweepFaults, AFileWhoseWriterIsKilledIsAbsentNotHalfWritten) {
  const std::string path = fresh_directory("atomic") + "/result.json";
  const pid_t writer = fork();
  ASSERT_GE(writer, 0);
  if (writer == 0) {
    apps::AtomicFile file(path);
    std::ofstream(file.temporary_path()) << "{\"half\": ";
    raise(SIGKILL);
  }
  EXPECT_EQ(wait_exit_code(writer), 128 + SIGKILL);
  EXPECT_FALSE(fs::exists(path));
  EXPECT_TRUE(apps::is_atomic_temporary(fs::path(path + ".tmp-" + std::to_string(writer)).filename().string()));
  apps::write_file_atomically(path, "{\"whole\": true}\n");
  EXPECT_EQ(read_file(path), "{\"whole\": true}\n");
}

}  // namespace
}  // namespace aqpim::test
