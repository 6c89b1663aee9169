#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""A malicious peer against a TLS_RX receiver, over a real connection.

  victim PORT PROTO MODE OUT.jsonl   accepts connections one after another;
        on each sets TCP_ULP "tls" + TLS_RX (peer.py's keys), reads until an
        error or EOF, then reads once more (the stream must stay dead) and
        appends {"case", "data", "errno", "after"} to OUT.jsonl.
        MODE: block (a blocking reader) or poll (poll() then a non-blocking
        recv, as event loops do).
  attack HOST PORT PROTO OUT.jsonl CASE...   one connection per case
PROTO: tcp (stock tls.ko) or mptcp (mptls.ko).

The peer knows the keys where a case needs them (it is the other end of
the session): records are sealed here with AES-128-GCM through libcrypto
(ctypes), TLS 1.3 framing (RFC 8446 section 5.2).  Each case sends its bad
bytes, then a genuine record: nothing of it may ever be read.
"""
import ctypes
import ctypes.util
import errno
import json
import os
import select
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer  # noqa: E402  (keys and the kTLS socket options)

_crypto = ctypes.CDLL(ctypes.util.find_library('crypto') or 'libcrypto.so.3')
_crypto.EVP_CIPHER_CTX_new.restype = ctypes.c_void_p
_crypto.EVP_aes_128_gcm.restype = ctypes.c_void_p
for _f in ('EVP_EncryptInit_ex', 'EVP_EncryptUpdate', 'EVP_EncryptFinal_ex',
           'EVP_CIPHER_CTX_ctrl', 'EVP_CIPHER_CTX_free'):
    getattr(_crypto, _f).argtypes = None
EVP_CTRL_GCM_GET_TAG = 0x10


def gcm_seal(key, nonce, aad, plain):
    ctx = ctypes.c_void_p(_crypto.EVP_CIPHER_CTX_new())
    out = ctypes.create_string_buffer(len(plain) + 16)
    n = ctypes.c_int(0)
    tag = ctypes.create_string_buffer(16)
    ok = _crypto.EVP_EncryptInit_ex(ctx, ctypes.c_void_p(_crypto.EVP_aes_128_gcm()), None, key, nonce)
    ok &= _crypto.EVP_EncryptUpdate(ctx, None, ctypes.byref(n), aad, len(aad))
    ok &= _crypto.EVP_EncryptUpdate(ctx, out, ctypes.byref(n), plain, len(plain))
    clen = n.value
    ok &= _crypto.EVP_EncryptFinal_ex(ctx, ctypes.byref(out, clen), ctypes.byref(n))
    ok &= _crypto.EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag)
    _crypto.EVP_CIPHER_CTX_free(ctx)
    if ok != 1:
        raise RuntimeError('libcrypto AES-GCM failed')
    return out.raw[:clen] + tag.raw


def seal13(seq, content, ctype=23, pad=0, outer=b'\x17\x03\x03'):
    """One TLS 1.3 record: the inner plaintext is content || type || zeros."""
    inner = content + bytes([ctype]) + bytes(pad) if ctype is not None else bytes(pad)
    length = len(inner) + 16
    aad = b'\x17\x03\x03' + struct.pack('!H', length)
    nonce = bytes(a ^ b for a, b in zip(peer.SALT + peer.IV, bytes(4) + seq.to_bytes(8, 'big')))
    return outer + struct.pack('!H', length) + gcm_seal(peer.KEY, nonce, aad, inner)


GENUINE = b'PLAINTEXT-AFTER-THE-ATTACK'


def case_bytes(name):
    """(bad bytes, what a reader may see before the error)."""
    good0 = seal13(0, b'FIRST-RECORD;')
    if name == 'control':                         # a genuine record, then EOF
        return good0, b'FIRST-RECORD;'
    if name == 'oversize':                        # 2^14 + 256 + 1 bytes announced
        n = (1 << 14) + 256 + 1
        return b'\x17\x03\x03' + struct.pack('!H', n) + bytes(n), b''
    if name == 'zero_length':
        return b'\x17\x03\x03\x00\x00', b''
    if name == 'wrong_version':
        r = bytearray(good0)
        r[1:3] = b'\x03\x01'
        return bytes(r), b''
    if name == 'truncated_tag':                   # 8 tag bytes cut, length fixed
        r = bytearray(good0[:-8])
        r[3:5] = struct.pack('!H', len(r) - 5)
        return bytes(r), b''
    if name == 'bad_outer_type':                  # sealed right, outer type 0x99
        r = bytearray(good0)
        r[0] = 0x99
        return bytes(r), b''
    if name == 'bad_inner_type':                  # authentic, inner type 0x99
        return seal13(0, b'INNER-TYPE-99;', ctype=0x99), b''
    if name == 'all_padding':                     # authentic, no content type
        return seal13(0, b'', ctype=None, pad=32), b''
    if name == 'garbage_first':                   # bytes before the first record
        return b'GET / HTTP/1.1\r\n' + good0, b''
    raise SystemExit('unknown case ' + name)


CASES = ['control', 'oversize', 'zero_length', 'wrong_version', 'truncated_tag',
         'bad_outer_type', 'bad_inner_type', 'all_padding', 'garbage_first']


def proto(name):
    return peer.IPPROTO_MPTCP if name == 'mptcp' else socket.IPPROTO_TCP


def read_once(c, mode, timeout):
    """(bytes or None, errno name or None) of one read."""
    try:
        if mode == 'poll':
            p = select.poll()
            p.register(c, select.POLLIN)
            end = time.time() + timeout
            while True:
                left = end - time.time()
                if left <= 0 or not p.poll(left * 1000):
                    return None, 'timeout'
                try:
                    return c.recv(65536, socket.MSG_DONTWAIT), None
                except BlockingIOError:
                    continue        # readable, but nothing to read: poll again
        return c.recv(65536), None
    except OSError as e:
        name = errno.errorcode.get(e.errno, str(e.errno))
        return None, 'timeout' if name == 'EAGAIN' else name


def victim(argv):
    port, pname, mode, out = int(argv[0]), argv[1], argv[2], argv[3]
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto(pname))
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(('0.0.0.0', port))
    ls.listen(8)
    open(out + '.ready', 'w').close()
    while True:
        c, _ = ls.accept()
        case = c.recv(32, socket.MSG_WAITALL).decode().strip()    # cleartext preamble
        peer.tls_on(c, peer.TLS_RX)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack('ll', 3, 0))
        data, err = b'', None
        while True:
            b, err = read_once(c, mode, 3)
            if not b:
                break
            data += b
        after, after_err = read_once(c, mode, 2)
        with open(out, 'a') as f:
            f.write(json.dumps({'case': case, 'data': data.decode('latin-1'), 'errno': err,
                                'after': (after or b'').decode('latin-1'), 'after_errno': after_err}) + '\n')
        c.close()


def attack(argv):
    host, port, pname, out = argv[0], int(argv[1]), argv[2], argv[3]
    for name in argv[4:]:
        bad, _ = case_bytes(name)
        done = sum(1 for _ in open(out)) if os.path.exists(out) else 0
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto(pname))
        s.connect((host, port))
        try:
            s.sendall(name.ljust(32).encode())
            time.sleep(0.3)         # the victim sets TLS_RX before the records come
            s.sendall(bad)
            if name != 'control':
                time.sleep(0.3)
                s.sendall(seal13(1, GENUINE) + seal13(0, GENUINE))
            time.sleep(0.3)
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass                    # the victim gave up on us first
        end = time.time() + 20
        while time.time() < end and (sum(1 for _ in open(out)) if os.path.exists(out) else 0) <= done:
            time.sleep(0.05)
        s.close()


if __name__ == '__main__':
    {'victim': victim, 'attack': attack}[sys.argv[1]](sys.argv[2:])
