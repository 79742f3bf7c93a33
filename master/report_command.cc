#include "master/report_command.h"

#include <filesystem>
#include <fstream>
#include <iostream>

#include "master/journal.h"

namespace sortie {
namespace {

constexpr int kNotARun = 2;

bool WritePage(const std::string& path, const std::string& html) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << html;
  out.close();
  if (!out) {
    std::cerr << "sortie: cannot write " << path << "\n";
    return false;
  }
  return true;
}

}  // namespace

int ReportCommand(const ReportOptions& options) {
  namespace fs = std::filesystem;
  const std::string journal = JournalPathFor(options.path);
  // Before the first snapshot a running run has only its journal.
  const bool from_journal = !fs::exists(options.path) && fs::exists(journal);
  if (!fs::exists(options.path) && !from_journal) {
    std::cerr << "sortie: " << options.path << ": no such file\n";
    return kNotARun;
  }
  if (from_journal && JournalHoldsNoRecords(journal)) {
    std::cout << options.path
              << ": starting: the run has not recorded its start yet\n";
    return 0;
  }
  RunData run;
  try {
    run = from_journal ? ReadRunJournal(journal, options.path)
                       : ReadRunData(options.path);
  } catch (const std::exception& error) {
    std::cerr << "sortie: " << options.path
              << " is not a sortie run: " << error.what() << "\n";
    return kNotARun;
  }
  const ReportData report = Aggregate(run, options.by);
  std::cout << ReportText(options.path, run, report);
  if (!options.html.empty()) {
    if (!WritePage(options.html, ReportHtml(options.path, run, report))) {
      return kNotARun;
    }
    std::cout << "\nsortie: report page in " << options.html << "\n";
  }
  return 0;
}

}  // namespace sortie
