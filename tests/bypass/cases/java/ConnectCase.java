// Outbound connections from Java (its sockets are AF_INET6: 127.0.0.1 arrives as
// ::ffff:127.0.0.1).
//   raw-ip   new Socket("127.0.0.1", port)
//   udp      DatagramSocket.send to 127.0.0.1 without connect
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.Socket;
import java.util.Map;

public class ConnectCase extends BypassCase {
    public Object handleRequest(Map<String, String> event, Object context) throws Exception {
        String mode = event.get("mode");
        if (mode.equals("raw-ip")) {
            int port = Integer.parseInt(event.get("tcp4_port"));
            attempt("new Socket(127.0.0.1, " + port + ")");
            try (Socket s = new Socket("127.0.0.1", port)) {
                return "connected";
            }
        }
        if (mode.equals("udp")) {
            int port = Integer.parseInt(event.get("udp4_port"));
            attempt("DatagramSocket.send 127.0.0.1:" + port);
            try (DatagramSocket s = new DatagramSocket()) {
                byte[] b = "exfil".getBytes();
                s.send(new DatagramPacket(b, b.length, InetAddress.getByName("127.0.0.1"), port));
            }
            return "sent";
        }
        throw new IllegalArgumentException(mode);
    }

    public static void main(String[] args) throws Exception { main(new ConnectCase(), args); }
}
