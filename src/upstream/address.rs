//! Where a provider call may go (SPEC.md §5, §9): the one place that says which hosts and addresses
//! KeyHub may connect to for validation and the gateway. Cloud metadata services and link-local
//! addresses are refused always, in every spelling (IPv4-mapped, IPv4-compatible, NAT64 and 6to4
//! IPv6 forms included); private and loopback ones only when private endpoints are allowed.
//! Literal hosts are checked in URLs, resolved names again after DNS resolution.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// What an address is, for the rules above.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    /// On the internet: always allowed.
    Public,
    /// Private, loopback, shared (CGNAT) or unspecified: only with private endpoints allowed.
    Private,
    /// Link-local or a cloud metadata service: never.
    Never,
}

/// Why a host is refused, in words for the person who typed the URL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    Metadata,
    Private,
    Localhost,
}

impl Refusal {
    pub fn message(self) -> &'static str {
        match self {
            Refusal::Metadata => {
                "Link-local and cloud metadata addresses (169.254.x.x, fe80::, \
                 metadata.google.internal, …) are never allowed."
            }
            Refusal::Private => {
                "Private and loopback addresses are allowed only when \
                 KEYHUB_ALLOW_PRIVATE_ENDPOINTS is set."
            }
            Refusal::Localhost => {
                "localhost is allowed only when KEYHUB_ALLOW_PRIVATE_ENDPOINTS is set."
            }
        }
    }
}

/// Metadata services outside the link-local block, by the cloud that runs them.
const METADATA_V4: &[Ipv4Addr] = &[
    Ipv4Addr::new(168, 63, 129, 16),   // Azure WireServer
    Ipv4Addr::new(100, 100, 100, 200), // Alibaba Cloud
    Ipv4Addr::new(192, 0, 0, 192),     // Oracle Cloud
];

const METADATA_V6: &[Ipv6Addr] = &[
    Ipv6Addr::new(0xfd20, 0xce, 0, 0, 0, 0, 0, 0x254), // Google Cloud over IPv6
];

/// Host names of metadata services (besides names that resolve to their addresses, which are
/// refused after resolution).
const METADATA_NAMES: &[&str] = &[
    "metadata",
    "metadata.google.internal",
    "metadata.goog",
    "instance-data",
    "instance-data.ec2.internal",
];

pub fn reach(ip: IpAddr) -> Reach {
    match ip {
        IpAddr::V4(v4) => reach_v4(v4),
        IpAddr::V6(v6) if v6.is_loopback() || v6.is_unspecified() => Reach::Private,
        IpAddr::V6(v6) => match embedded_v4(v6) {
            Some(v4) => reach_v4(v4),
            None => reach_v6(v6),
        },
    }
}

/// Whether KeyHub may connect to this (resolved) address.
pub fn address_allowed(ip: IpAddr, allow_private: bool) -> bool {
    match reach(ip) {
        Reach::Public => true,
        Reach::Private => allow_private,
        Reach::Never => false,
    }
}

/// Checks the host of a URL before anything is resolved: a literal address by [`reach`], a name
/// against the metadata names and `localhost`.
pub fn check_host(host: &str, allow_private: bool) -> Result<(), Refusal> {
    let host = host.trim_matches(['[', ']']);
    if let Ok(ip) = host.parse::<IpAddr>() {
        return match reach(ip) {
            Reach::Public => Ok(()),
            Reach::Private if allow_private => Ok(()),
            Reach::Private => Err(Refusal::Private),
            Reach::Never => Err(Refusal::Metadata),
        };
    }
    let name = host.trim_end_matches('.').to_ascii_lowercase();
    if METADATA_NAMES.contains(&name.as_str()) {
        return Err(Refusal::Metadata);
    }
    if !allow_private && (name == "localhost" || name.ends_with(".localhost")) {
        return Err(Refusal::Localhost);
    }
    Ok(())
}

/// A provider base URL, normalized without its trailing `/`: `https`, or plain `http` and private
/// or loopback addresses only when `allow_private`; link-local and cloud metadata addresses never
/// (SPEC.md §5, [`check_host`]). The refusal in words.
pub fn clean_base_url(raw: Option<&str>, allow_private: bool) -> Result<Option<String>, String> {
    let Some(text) = raw.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let refused = |message: &str| Err(message.to_owned());
    let Ok(url) = reqwest::Url::parse(text) else {
        return refused("Enter a full URL such as https://api.example.com/v1.");
    };
    if !url.username().is_empty() || url.password().is_some() {
        return refused("Put no credentials in the URL: the key goes in the API key field.");
    }
    if url.query().is_some() || url.fragment().is_some() {
        return refused("Leave out the ?query and #fragment.");
    }
    match url.scheme() {
        "https" => {}
        "http" if allow_private => {}
        "http" => {
            return refused(
                "Use https. Plain http is allowed only when KEYHUB_ALLOW_PRIVATE_ENDPOINTS is set.",
            )
        }
        _ => return refused("Use an https:// URL."),
    }
    let host = url.host_str().unwrap_or_default().trim_matches(['[', ']']);
    if host.is_empty() {
        return refused("The URL needs a host name.");
    }
    check_host(host, allow_private).map_err(|refusal| refusal.message().to_owned())?;
    Ok(Some(url.as_str().trim_end_matches('/').to_owned()))
}

fn reach_v4(v4: Ipv4Addr) -> Reach {
    let [a, b, ..] = v4.octets();
    if v4.is_link_local() || METADATA_V4.contains(&v4) {
        Reach::Never
    } else if v4.is_private() || v4.is_loopback() || a == 0 || (a == 100 && (64..128).contains(&b))
    {
        Reach::Private
    } else {
        Reach::Public
    }
}

fn reach_v6(v6: Ipv6Addr) -> Reach {
    let [first, second, ..] = v6.segments();
    let link_local = first & 0xffc0 == 0xfe80;
    // fd00:ec2::/32 holds AWS's instance services (metadata at fd00:ec2::254, DNS, time).
    let aws = first == 0xfd00 && second == 0x0ec2;
    if link_local || aws || METADATA_V6.contains(&v6) {
        Reach::Never
    } else if first & 0xfe00 == 0xfc00 || first & 0xffc0 == 0xfec0 {
        // Unique local (fc00::/7) and the old site-local (fec0::/10).
        Reach::Private
    } else {
        Reach::Public
    }
}

/// The IPv4 address an IPv6 address carries and reaches: IPv4-mapped `::ffff:a.b.c.d`,
/// IPv4-compatible `::a.b.c.d`, NAT64 `64:ff9b::a.b.c.d` and 6to4 `2002:aabb:ccdd::/48`.
fn embedded_v4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = v6.segments();
    let low = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    match s {
        [0, 0, 0, 0, 0, 0xffff, ..] | [0, 0, 0, 0, 0, 0, ..] => Some(low),
        [0x64, 0xff9b, 0, 0, 0, 0, ..] => Some(low),
        [0x2002, high, low_half, ..] => Some(Ipv4Addr::new(
            (high >> 8) as u8,
            high as u8,
            (low_half >> 8) as u8,
            low_half as u8,
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    /// Every metadata service KeyHub knows, in every spelling: refused with and without private
    /// endpoints, as an address (after resolution) and as a URL host.
    #[test]
    fn metadata_addresses_are_refused_in_every_spelling() {
        for never in [
            // AWS, GCP, Azure, Oracle, DigitalOcean, OpenStack: the link-local metadata address.
            "169.254.169.254",
            "169.254.170.2",   // AWS ECS task metadata
            "169.254.0.1",     // all of 169.254.0.0/16
            "fd00:ec2::254",   // AWS over IPv6
            "fd00:ec2::23",    // AWS instance services block
            "fd20:ce::254",    // GCP over IPv6
            "168.63.129.16",   // Azure WireServer
            "100.100.100.200", // Alibaba
            "192.0.0.192",     // Oracle
            "fe80::1",
            "febf::1",
            // IPv4-mapped, IPv4-compatible, NAT64 and 6to4 forms.
            "::ffff:169.254.169.254",
            "::ffff:a9fe:a9fe",
            "::169.254.169.254",
            "64:ff9b::169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "2002:a9fe:a9fe::1",
            "::ffff:100.100.100.200",
            "64:ff9b::100.100.100.200",
            "::ffff:168.63.129.16",
            "64:ff9b::168.63.129.16",
            "::ffff:192.0.0.192",
            "2002:c000:00c0::",
        ] {
            assert_eq!(reach(ip(never)), Reach::Never, "{never}");
            for allow_private in [false, true] {
                assert!(!address_allowed(ip(never), allow_private), "{never}");
                assert_eq!(
                    check_host(never, allow_private),
                    Err(Refusal::Metadata),
                    "{never}"
                );
            }
        }
        for name in [
            "metadata.google.internal",
            "METADATA.google.internal.",
            "metadata",
            "metadata.goog",
            "instance-data",
        ] {
            for allow_private in [false, true] {
                assert_eq!(
                    check_host(name, allow_private),
                    Err(Refusal::Metadata),
                    "{name}"
                );
            }
        }
    }

    #[test]
    fn private_addresses_only_when_allowed() {
        for private in [
            "10.0.0.5",
            "172.16.3.4",
            "192.168.1.10",
            "127.0.0.1",
            "127.8.8.8",
            "0.0.0.0",
            "0.1.2.3",
            "100.64.0.1",
            "100.100.100.199",
            "::1",
            "::",
            "fd12:3456::1",
            "fc00::1",
            "fec0::1",
            "fd00:ec3::254",
            "::ffff:10.0.0.5",
            "::ffff:127.0.0.1",
            "64:ff9b::10.0.0.5",
            "2002:0a00:0005::",
        ] {
            assert_eq!(reach(ip(private)), Reach::Private, "{private}");
            assert!(!address_allowed(ip(private), false), "{private}");
            assert!(address_allowed(ip(private), true), "{private}");
            let host = if private.contains(':') {
                format!("[{private}]")
            } else {
                private.to_owned()
            };
            assert_eq!(check_host(&host, false), Err(Refusal::Private), "{host}");
            assert_eq!(check_host(&host, true), Ok(()), "{host}");
        }
        for name in ["localhost", "LOCALHOST.", "ollama.localhost"] {
            assert_eq!(check_host(name, false), Err(Refusal::Localhost), "{name}");
            assert_eq!(check_host(name, true), Ok(()), "{name}");
        }
    }

    #[test]
    fn public_addresses_and_names_are_allowed() {
        for public in [
            "104.18.6.192",
            "8.8.8.8",
            "169.253.255.255",
            "169.255.0.1",
            "100.128.0.1",
            "192.0.0.193",
            "2606:4700::6812:6c0",
            "::ffff:8.8.8.8",
            "64:ff9b::8.8.8.8",
            "2002:0808:0808::",
        ] {
            assert_eq!(reach(ip(public)), Reach::Public, "{public}");
            assert!(address_allowed(ip(public), false), "{public}");
        }
        for name in ["api.openai.com", "metadata.example.com", "my-metadata"] {
            assert_eq!(check_host(name, false), Ok(()), "{name}");
        }
    }
}
