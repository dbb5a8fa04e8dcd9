// Ask xueji serve from Java 17 with java.net.http only: one student, then print outcome and status.
//
//   java Ask.java [BASE_URL]          (single-file source launch; default http://127.0.0.1:8000)
//   XUEJI_TOKEN=... java Ask.java     (a server started with --token-file)
//
// The two fields are read with a regular expression to keep this file free of libraries;
// a real client would parse the Decision JSON with Jackson (or JSON-B) into a class generated
// from the contract at /openapi.json, and read the rules, documents and deadlines too.

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public class Ask {
    // the README's student: junior grade 8, 230 class hours missed through illness, hospital papers
    static final String BODY = """
        {"facts": {
           "student": {"stage": "junior", "grade": 8},
           "absence": {"reason": "illness", "class_hours_missed": 230, "still_unable_to_attend": true,
                       "start_date": "2025-01-06"},
           "evidence": {"documents": ["hospital_diagnosis", "inpatient_record", "medical_receipts"],
                        "hospital_level": "county"}},
         "on": "2025-03-03"}
        """;

    public static void main(String[] args) throws Exception {
        String base = args.length > 0 ? args[0] : "http://127.0.0.1:8000";
        HttpRequest.Builder request = HttpRequest.newBuilder()
            .uri(URI.create(base + "/v1/regions/jiangsu/questions/suspension/ask"))
            .timeout(Duration.ofSeconds(30))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(BODY, StandardCharsets.UTF_8));
        String token = System.getenv("XUEJI_TOKEN");
        if (token != null && !token.isEmpty()) {
            request.header("Authorization", "Bearer " + token);
        }
        // HTTP/1.1: the default (HTTP/2) asks a plain-http server to upgrade ("Upgrade: h2c"); uvicorn ignores
        // the upgrade and loses the body (Kludex/uvicorn#2722), so the answer would be 400 bad_json
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
        HttpResponse<String> response = client.send(request.build(),
            HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        if (response.statusCode() != 200) {
            // an RFC 9457 problem: its "code" is stable, its "detail" says what to fix
            System.err.println("HTTP " + response.statusCode() + ": " + response.body());
            System.exit(1);
        }
        System.out.println("outcome: " + field(response.body(), "outcome"));
        System.out.println("status:  " + field(response.body(), "status"));
        System.out.println("policy:  " + response.headers().firstValue("X-Xueji-Policy-Hash").orElse("?"));
    }

    /** The first top-level string field of that name: the Decision JSON puts outcome and status first. */
    static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\"\\s*:\\s*\"([^\"]*)\"").matcher(json);
        return m.find() ? m.group(1) : "?";
    }
}
