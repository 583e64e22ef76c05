//! `KEYHUB_TRUSTED_PROXIES`: the reverse proxies whose `X-Forwarded-For` is believed. Without any,
//! the client is the peer of the TCP connection; behind a trusted proxy it is the right-most address
//! of `X-Forwarded-For` that is not a trusted proxy itself (everything left of it was written by the
//! client and proves nothing).

use std::net::IpAddr;

use axum::http::HeaderMap;

/// A list of addresses and CIDR ranges (`10.0.0.0/8`, `::1`, `fd00::/8`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpRange>);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct IpRange {
    network: IpAddr,
    prefix: u8,
}

impl IpRange {
    fn parse(text: &str) -> Option<IpRange> {
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix.parse::<u8>().ok()?)),
            None => (text, None),
        };
        let network = address.parse::<IpAddr>().ok()?.to_canonical();
        let bits = if network.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(bits);
        (prefix <= bits).then_some(IpRange { network, prefix })
    }

    fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip.to_canonical()) {
            (IpAddr::V4(network), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(network) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(network), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(network) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl TrustedProxies {
    /// Parses a comma-separated list; `Err` names the first entry that is not an address or range.
    pub fn parse(text: &str) -> Result<TrustedProxies, String> {
        text.split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| IpRange::parse(entry).ok_or_else(|| entry.to_owned()))
            .collect::<Result<_, _>>()
            .map(TrustedProxies)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|range| range.contains(ip))
    }

    /// The client's address: the peer, unless the peer is a trusted proxy; then the right-most
    /// `X-Forwarded-For` entry that is not a trusted proxy. Should the chain end in something that
    /// is not an address, the last trusted hop stands for the client.
    pub fn client_address(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = peer.to_canonical();
        if !self.trusts(client) {
            return client;
        }
        let forwarded: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .collect();
        for entry in forwarded.into_iter().rev() {
            let Ok(hop) = entry.parse::<IpAddr>() else {
                break;
            };
            client = hop.to_canonical();
            if !self.trusts(client) {
                break;
            }
        }
        client
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn headers(forwarded: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in forwarded {
            headers.append("x-forwarded-for", value.parse().unwrap());
        }
        headers
    }

    #[test]
    fn addresses_and_ranges_are_parsed_and_bad_entries_named() {
        let proxies = TrustedProxies::parse(" 10.0.0.0/8, 192.168.1.7 ,fd00::/8,::1").unwrap();
        assert!(proxies.trusts(ip("10.200.3.4")));
        assert!(proxies.trusts(ip("192.168.1.7")));
        assert!(!proxies.trusts(ip("192.168.1.8")));
        assert!(proxies.trusts(ip("fd12::1")));
        assert!(proxies.trusts(ip("::1")));
        assert!(!proxies.trusts(ip("11.0.0.1")));
        assert!(proxies.trusts(ip("::ffff:10.1.2.3")), "IPv4-mapped peers");
        assert_eq!(
            TrustedProxies::parse("").unwrap(),
            TrustedProxies::default()
        );
        assert!(TrustedProxies::parse("0.0.0.0/0")
            .unwrap()
            .trusts(ip("8.8.8.8")));
        for bad in ["10.0.0.0/33", "proxy.local", "10.0.0.1/x", "::1/129"] {
            assert_eq!(
                TrustedProxies::parse(&format!("10.0.0.1,{bad}")),
                Err(bad.to_owned())
            );
        }
    }

    #[test]
    fn the_client_is_the_right_most_untrusted_forwarded_address() {
        let proxies = TrustedProxies::parse("10.0.0.0/8").unwrap();
        let via = |peer: &str, forwarded: &[&str]| {
            proxies
                .client_address(ip(peer), &headers(forwarded))
                .to_string()
        };
        // An untrusted peer's header is ignored.
        assert_eq!(via("203.0.113.9", &["198.51.100.1"]), "203.0.113.9");
        // Behind a trusted proxy: what the proxy appended, not what the client claimed before it.
        assert_eq!(via("10.0.0.2", &["1.1.1.1, 198.51.100.1"]), "198.51.100.1");
        // Through two trusted proxies, across two header lines.
        assert_eq!(
            via("10.0.0.2", &["1.1.1.1, 198.51.100.1", "10.0.0.3"]),
            "198.51.100.1"
        );
        // A trusted peer without the header, or with garbage: the last trusted hop.
        assert_eq!(via("10.0.0.2", &[]), "10.0.0.2");
        assert_eq!(via("10.0.0.2", &["not an address, 10.0.0.4"]), "10.0.0.4");
        // Nobody is trusted by default.
        assert_eq!(
            TrustedProxies::default()
                .client_address(ip("10.0.0.2"), &headers(&["198.51.100.1"]))
                .to_string(),
            "10.0.0.2"
        );
    }
}
