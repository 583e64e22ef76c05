//! A TCP forwarder in front of a server, whose plug a test pulls: every connection through it is
//! cut and new ones are refused, as when a database server goes away; pushed back in, it listens
//! on the same address and forwards again.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub struct Plug {
    pub address: SocketAddr,
    pulled: Arc<watch::Sender<bool>>,
}

impl Plug {
    pub async fn to(target: SocketAddr) -> Plug {
        let mut listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let pulled = Arc::new(watch::channel(false).0);
        let state = pulled.clone();
        tokio::spawn(async move {
            let mut changes = state.subscribe();
            loop {
                let pulled = tokio::select! {
                    accepted = listener.accept() => {
                        let Ok((incoming, _)) = accepted else { return };
                        tokio::spawn(forward(incoming, target, state.subscribe()));
                        false
                    }
                    _ = changes.wait_for(|pulled| *pulled) => true,
                };
                if pulled {
                    drop(listener);
                    if changes.wait_for(|pulled| !*pulled).await.is_err() {
                        return;
                    }
                    listener = TcpListener::bind(address).await.unwrap();
                }
            }
        });
        Plug { address, pulled }
    }

    pub fn pull(&self) {
        self.pulled.send_replace(true);
    }

    pub fn push(&self) {
        self.pulled.send_replace(false);
    }
}

async fn forward(mut incoming: TcpStream, target: SocketAddr, mut pulled: watch::Receiver<bool>) {
    let Ok(mut outgoing) = TcpStream::connect(target).await else {
        return;
    };
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut incoming, &mut outgoing) => {}
        _ = pulled.wait_for(|pulled| *pulled) => {}
    }
}
