#!/usr/bin/env python3
"""Generate a large, realistic arm64 dmesg for the replay benchmark.

Mostly ordinary kernel noise from many drivers, with SMMU driver messages
(probe lines, ATC timeouts with retries, issuer timeouts, illegal commands,
event dumps, AER lines) sprinkled at a realistic low rate.  Deterministic.

Usage: genlog.py [--atc-every N] SIZE_MB OUT
  --atc-every N   incident-dense: also an ATC invalidate timeout (the
                  GERROR line and the CMDQ error line, at a fresh CONS)
                  every N lines
"""
import argparse
import random

NOISE = [
    "systemd[1]: Started session-{n}.scope - Session {n} of User root.",
    "mlx5_core 0000:01:00.0: mlx5e_ethtool_get_link_ksettings:{n}: speed=100000",
    "nvme nvme0: I/O {n} QID 3 timeout, completion polled",
    "EXT4-fs (nvme0n1p2): mounted filesystem {n:08x} r/w with ordered data mode.",
    "audit: type=1400 audit({n}.123:77): apparmor=\"STATUS\" operation=\"profile_load\"",
    "bond0: (slave enP1s1f0np0): link status definitely up, 100000 Mbps full duplex",
    "IPv6: ADDRCONF(NETDEV_CHANGE): enP1s1f0np0: link becomes ready",
    "perf: interrupt took too long ({n} > 2500), lowering kernel.perf_event_max_sample_rate",
    "kauditd_printk_skb: {n} callbacks suppressed",
    "hrtimer: interrupt took {n} ns",
    "vfio-pci 0009:01:00.0: enabling device (0000 -> 0002)",
    "nvidia-nvswitch0: SXid (PCI:0002:00:00.0): {n}, Non-fatal, Link 32 egress",
]
SMMU = [
    "arm-smmu-v3 arm-smmu-v3.{s}.auto: unexpected global error reported (0x00000001), this could be serious",
    "arm-smmu-v3 arm-smmu-v3.{s}.auto: CMDQ error (cons 0x03{c:06x}): ATC invalidate timeout",
    "arm-smmu-v3 arm-smmu-v3.{s}.auto: CMD_SYNC timeout at 0x{p:08x} [hwprod 0x{p2:08x}, hwcons 0x03{c:06x}]",
    "mlx5_core 0000:01:00.{s}: AER:    [14] CmpltTO                (First)",
    "arm_smmu_cmdq_issue_cmdlist: {n} callbacks suppressed",
]
GERROR = SMMU[0]
ATC = SMMU[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--atc-every", type=int, default=0)
    ap.add_argument("size_mb", type=int)
    ap.add_argument("out")
    args = ap.parse_args()
    size = args.size_mb << 20
    rnd = random.Random(7)
    t = 5.0
    written = 0
    lines = 0
    cons = 0
    buf = []
    with open(args.out, "w") as f:
        while written < size:
            t += rnd.random() * 0.002
            n = rnd.randrange(1, 100000)
            lines += 1
            if args.atc_every and lines % args.atc_every == 0:
                s = rnd.randrange(2)
                # a fresh position each time: distinct incidents, not retries
                cons = (cons + 1 + rnd.randrange(64)) & 0xfffff
                text = [GERROR.format(s=s), ATC.format(s=s, c=cons)]
                lines += 1
            elif rnd.random() < 0.0005:
                s = rnd.randrange(2)
                c = rnd.randrange(1 << 19)
                text = [rnd.choice(SMMU).format(s=s, c=c, p=c, p2=c + 8, n=n)]
            else:
                text = [rnd.choice(NOISE).format(n=n)]
            for x in text:
                line = "[%12.6f] %s\n" % (t, x)
                buf.append(line)
                written += len(line)
            if len(buf) >= 4096:
                f.write("".join(buf))
                buf = []
        f.write("".join(buf))


if __name__ == "__main__":
    main()
