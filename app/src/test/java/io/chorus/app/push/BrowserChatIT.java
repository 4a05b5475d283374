package io.chorus.app.push;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.chorus.app.Api;
import io.chorus.app.ChorusIT;
import java.io.File;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * The browser client served at {@code /}, driven in headless Chromium: two users chat, one goes offline and comes
 * back, and nothing is missing or doubled. Needs Debian's {@code chromium} and {@code chromium-driver} (.ci/run
 * installs them and sets {@code CHORUS_E2E_REQUIRED=true}, which turns a missing browser into a failure).
 */
@ChorusIT
class BrowserChatIT {

    static final File CHROMIUM = new File("/usr/bin/chromium");
    static final File CHROMEDRIVER = new File("/usr/bin/chromedriver");

    @LocalServerPort
    int port;

    WebDriver alice;
    WebDriver bob;

    @BeforeEach
    void browsers() {
        boolean present = CHROMIUM.canExecute() && CHROMEDRIVER.canExecute();
        if (!"true".equals(System.getenv("CHORUS_E2E_REQUIRED"))) {
            Assumptions.assumeTrue(present, "no Chromium here: apt-get install chromium chromium-driver");
        }
        assertThat(present).as("Chromium and ChromeDriver under /usr/bin").isTrue();
        alice = browser();
        bob = browser();
    }

    @AfterEach
    void close() {
        for (WebDriver driver : new WebDriver[] {alice, bob}) {
            if (driver != null) {
                driver.quit();
            }
        }
    }

    private static WebDriver browser() {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu");
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER)
                .usingAnyFreePort()
                .build();
        return new ChromeDriver(service, options);
    }

    private void signIn(WebDriver driver, String user) {
        driver.get("http://localhost:" + port + "/");
        driver.findElement(By.id("user")).sendKeys(user);
        driver.findElement(By.id("signin")).click();
        awaitStatus(driver, "live");
    }

    private static void awaitStatus(WebDriver driver, String status) {
        await().atMost(Duration.ofSeconds(20))
                .until(() -> status.equals(driver.findElement(By.id("status")).getAttribute("data-state")));
    }

    private static void type(WebDriver driver, String field, String text) {
        WebElement input = driver.findElement(By.id(field));
        input.clear();
        input.sendKeys(text);
    }

    private static void send(WebDriver driver, String text) {
        type(driver, "text", text);
        driver.findElement(By.id("send")).click();
    }

    /** The texts of the messages shown, in the order shown, and their seqs. */
    private static List<String> texts(WebDriver driver) {
        return driver.findElements(By.cssSelector("#messages li.message .text")).stream()
                .map(WebElement::getText)
                .toList();
    }

    private static List<Long> seqs(WebDriver driver) {
        return driver.findElements(By.cssSelector("#messages li.message")).stream()
                .map(li -> Long.parseLong(li.getAttribute("data-seq")))
                .toList();
    }

    private static void openGroup(WebDriver driver, String group) {
        // the list is redrawn whenever a group's frame arrives: an entry found may be replaced before the click
        await().atMost(Duration.ofSeconds(10))
                .ignoreException(StaleElementReferenceException.class)
                .until(() -> {
                    driver.findElement(By.cssSelector("#groups li[data-group='" + group + "']"))
                            .click();
                    return true;
                });
        await().atMost(Duration.ofSeconds(10))
                .until(() -> driver.findElement(By.id("room-title")).getText().equals(group));
    }

    /**
     * Bob paged back to the group's first message, so he shows every message sent, once, in order. Alice opened the
     * group while its first messages were being sent: her page starts at the newest page she loaded then (she can page
     * back), so hers is the end of what was sent, with no gap and no repeat.
     */
    private void assertShowsAllOf(List<String> sent) {
        assertThat(texts(bob)).containsExactlyElementsOf(sent);
        List<String> alices = texts(alice);
        assertThat(alices).isNotEmpty().hasSizeLessThanOrEqualTo(sent.size());
        assertThat(sent.subList(sent.size() - alices.size(), sent.size())).containsExactlyElementsOf(alices);
    }

    @Test
    void twoUsersChatAndOneComesBackFromBeingOfflineMissingNothing() {
        String group = "e2e-" + UUID.randomUUID().toString().substring(0, 8);
        String other = group + "-b";
        Api api = new Api(port);
        String aliceToken = api.token("alice");

        // alice signs in and creates the group; 55 older messages are already there when bob arrives
        signIn(alice, "alice");
        type(alice, "new-group", group);
        alice.findElement(By.id("create")).click();
        await().atMost(Duration.ofSeconds(10))
                .until(() -> alice.findElement(By.id("room-title")).getText().equals(group));
        // every message sent to the group, in the order sent: what a page that has seen it all must show
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < 55; i++) {
            sent.add("old " + i);
            api.post(
                    aliceToken,
                    "/api/groups/" + group + "/messages",
                    Map.of("clientMessageId", "old" + i, "text", "old " + i));
        }

        // bob signs in, joins, sees the newest page and pages back to the start
        signIn(bob, "bob");
        type(bob, "join-id", group);
        bob.findElement(By.id("join")).click();
        await().atMost(Duration.ofSeconds(10)).until(() -> texts(bob).size() == 50);
        bob.findElement(By.id("older")).click();
        await().atMost(Duration.ofSeconds(10)).until(() -> texts(bob).size() == 55);
        assertThat(texts(bob).get(0)).isEqualTo("old 0");
        assertThat(bob.findElement(By.id("older")).isDisplayed()).isFalse();

        // they chat live, with typing notices
        send(alice, "hello bob");
        sent.add("hello bob");
        await().atMost(Duration.ofSeconds(10)).until(() -> texts(bob).contains("hello bob"));
        type(bob, "text", "hi al");
        await().atMost(Duration.ofSeconds(10))
                .until(() -> alice.findElement(By.id("typing")).getText().contains("bob is typing"));
        send(bob, "hi alice");
        sent.add("hi alice");
        await().atMost(Duration.ofSeconds(10)).until(() -> texts(alice).contains("hi alice"));

        // bob goes offline; alice sends 10 messages meanwhile
        ((JavascriptExecutor) bob).executeScript("return window.chorus.goOffline()");
        awaitStatus(bob, "offline");
        for (int i = 0; i < 10; i++) {
            send(alice, "while away " + i);
            sent.add("while away " + i);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> texts(alice).contains("while away 9"));

        // bob comes back: every message he missed, once, in order
        ((JavascriptExecutor) bob).executeScript("window.chorus.goOnline()");
        awaitStatus(bob, "live");
        await().atMost(Duration.ofSeconds(20)).until(() -> texts(bob).contains("while away 9"));
        assertShowsAllOf(sent);
        List<Long> bobSeqs = seqs(bob);
        assertThat(bobSeqs).isSorted().doesNotHaveDuplicates();
        assertThat(texts(bob).subList(texts(bob).size() - 10, texts(bob).size()))
                .containsExactlyElementsOf(
                        IntStream.range(0, 10).mapToObj(i -> "while away " + i).toList());

        // the connection drops under him: the page shows it reconnecting, then live, and catches up again
        ((JavascriptExecutor) bob).executeScript("window.chorus.dropConnection()");
        send(alice, "after the drop");
        sent.add("after the drop");
        await().atMost(Duration.ofSeconds(20)).until(() -> texts(bob).contains("after the drop"));
        awaitStatus(bob, "live");
        assertShowsAllOf(sent);

        // a message in a group bob is not looking at shows as unread in his list
        type(alice, "new-group", other);
        alice.findElement(By.id("create")).click();
        type(bob, "join-id", other);
        bob.findElement(By.id("join")).click();
        await().atMost(Duration.ofSeconds(10))
                .until(() -> bob.findElement(By.id("room-title")).getText().equals(other));
        openGroup(alice, group);
        send(alice, "ping in the first group");
        await().atMost(Duration.ofSeconds(10))
                .until(() -> bob.findElements(By.cssSelector("#groups li[data-group='" + group + "'] .unread")).stream()
                        .anyMatch(badge -> badge.getText().equals("1")));
    }
}
