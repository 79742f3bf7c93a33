#include "master/report_command.h"

#include <filesystem>
#include <fstream>
#include <iostream>

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
  if (!std::filesystem::exists(options.path)) {
    std::cerr << "sortie: " << options.path << ": no such file\n";
    return kNotARun;
  }
  RunData run;
  try {
    run = ReadRunData(options.path);
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
