// TEMPORARY: lets expr/ link before the `functions` branch is merged. Delete at merge.
#include "functions/function.hpp"

namespace runnel::fn {

const ScalarFunction* find_scalar_function(std::string_view) { return nullptr; }
std::vector<std::string_view> scalar_function_names() { return {}; }

}  // namespace runnel::fn
