// Version of pottsrbm and git revision of the build (`git describe --always --dirty`, or
// "unknown" outside a git checkout), defined in a file generated at every build.
#pragma once

namespace pottsrbm {
extern const char* const version_string;
extern const char* const git_revision;
}  // namespace pottsrbm
