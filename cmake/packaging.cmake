# What `cmake --install` puts where besides the programs (cli/, sandbox/) and the rule packs
# (rules/), and the .deb CPack makes of it. The layout, under <prefix>:
#   bin/purist                                 the program
#   libexec/purist/purist-sandbox              its sandbox helper (base/install_layout.h)
#   share/purist/rules/packs/*.yaml            the rule packs (`--policy NAME`)
#   share/purist/examples/, scripts/           the example package set and the demo
#   share/doc/purist/                          README and docs/
#   share/man/man1/purist.1, bash and zsh completions (generated: cli/generated_docs.cc)

install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR} FILES_MATCHING PATTERN "*.md")
# The demo runs from share/purist: scripts/demo.sh reads ../examples.
install(DIRECTORY examples DESTINATION ${CMAKE_INSTALL_DATADIR}/purist)
install(PROGRAMS scripts/demo.sh scripts/create-build-users.sh
        DESTINATION ${CMAKE_INSTALL_DATADIR}/purist/scripts)

# `cpack -G DEB` in the build directory (scripts/test-deb.sh): a .deb for Debian 12.
set(CPACK_PACKAGE_NAME purist)
set(CPACK_PACKAGE_VENDOR "purist")
set(CPACK_PACKAGE_CONTACT "purist maintainers <purist@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "policy-driven purity checker and build validator with a Nix-compatible store")
set(CPACK_PACKAGE_DESCRIPTION
    "purist runs builds in a Linux namespace sandbox, registers their outputs in a\n\
content-addressed store compatible with Nix's, and checks them against YAML rules\n\
(bootstrap-tool leaks, disallowed references, impure content), reporting the\n\
reference chain of every finding as text, JSON, SARIF, JUnit or HTML.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
# The build is RelWithDebInfo: the package ships the programs without their debug info
# (purist 72 MB with it).
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
# The run-time dependencies are read off the binaries by dpkg-shlibdeps, not written by
# hand: with the default static third-party libraries that is libc6 alone; a build with
# -DPURIST_STATIC_DEPS=OFF gets libsqlite3, libssl, libyaml-cpp, libre2 and libseccomp too.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# What the demo and the strict sandbox use at run time besides the libraries: the examples'
# builders are /bin/sh and coreutils (essential packages, so not listed), and
# create-build-users.sh needs useradd and groupadd (passwd, also always there).
# As root, builds run as members of purist-build: the postinst creates them.
configure_file(${PROJECT_SOURCE_DIR}/cmake/debian/postinst.in
               ${PROJECT_BINARY_DIR}/debian/postinst @ONLY)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${PROJECT_BINARY_DIR}/debian/postinst)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
