#pragma once
// Whether this build runs under AddressSanitizer, known at compile time: g++ defines
// __SANITIZE_ADDRESS__ under -fsanitize=address, clang++ answers __has_feature. For the few
// places where ASan cannot run as the release build does (docs/testing.md).

#if defined(__SANITIZE_ADDRESS__)
#define PURIST_ADDRESS_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PURIST_ADDRESS_SANITIZER 1
#endif
#endif
#ifndef PURIST_ADDRESS_SANITIZER
#define PURIST_ADDRESS_SANITIZER 0
#endif
