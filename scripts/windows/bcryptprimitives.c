/*
 * bcryptprimitives.dll shim for Wine 8 (Debian 12).
 *
 * Why this exists: Rust's standard library for x86_64-pc-windows-gnu gets
 * its random bytes (HashMap seeds, ...) from ProcessPrng, which it imports
 * from bcryptprimitives.dll. Wine 8.0 ships no bcryptprimitives.dll, so the
 * Windows loader refuses to start ANY Rust windows-gnu executable (the test
 * binaries included) under that Wine, before main() is reached.
 *
 * This DLL supplies only that one export, implemented with the documented
 * BCryptGenRandom(NULL, ..., BCRYPT_USE_SYSTEM_PREFERRED_RNG), which Wine's
 * bcrypt.dll implements. scripts/windows/setup.sh builds it with mingw
 * (x86_64-w64-mingw32-gcc -shared ... bcryptprimitives.def -lbcrypt) and
 * copies it into the Wine prefix's drive_c/windows/system32. It is test
 * machinery for Wine only; nothing ships it, and real Windows (8 and later)
 * has its own bcryptprimitives.dll.
 *
 * ProcessPrng's contract (as on Windows): fill data[0..len) with
 * cryptographically random bytes; it always returns TRUE. BCryptGenRandom
 * takes a ULONG length, so larger requests are done in chunks.
 */
#include <windows.h>
#include <bcrypt.h>

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG chunk = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (!BCRYPT_SUCCESS(BCryptGenRandom(NULL, data, chunk,
                                            BCRYPT_USE_SYSTEM_PREFERRED_RNG)))
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved)
{
    (void)instance;
    (void)reason;
    (void)reserved;
    return TRUE;
}
