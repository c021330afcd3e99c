// The one source of a module library whose src/<module>/ is still empty, so that the library
// target exists while the module is being written.
namespace pottsrbm::detail {
int module_anchor();
int module_anchor() { return 0; }
}  // namespace pottsrbm::detail
