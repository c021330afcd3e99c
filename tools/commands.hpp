// Entry points of the verbs, one tools/cmd_<verb>.cpp each; the table is in main.cpp.
#pragma once

#include <string>
#include <vector>

namespace pottsrbm::cli {

int run_stats(const std::vector<std::string>& args);
int run_train(const std::vector<std::string>& args);
int run_simulate(const std::vector<std::string>& args);
int run_sample(const std::vector<std::string>& args);
int run_score(const std::vector<std::string>& args);
int run_eval(const std::vector<std::string>& args);
int run_motifs(const std::vector<std::string>& args);
int run_contacts(const std::vector<std::string>& args);
int run_path(const std::vector<std::string>& args);

}  // namespace pottsrbm::cli
