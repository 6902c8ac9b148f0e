/*
 * Prints the node id of the cluster's active KRaft controller (the metadata quorum's leader),
 * asked through any broker: `stack.sh controller`, for the fault suite's "controller killed".
 * Run with Java's source launcher on the Kafka jars; the Admin client is the only way a client
 * can tell the active controller (metadata answers name a random broker in KRaft mode).
 */
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;

public class QuorumLeader {
  public static void main(String[] args) throws Exception {
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
    props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "20000");
    try (Admin admin = Admin.create(props)) {
      System.out.println(admin.describeMetadataQuorum().quorumInfo().get(30, TimeUnit.SECONDS).leaderId());
    }
  }
}
