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
import java.util.logging.Level;
import java.util.stream.IntStream;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
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
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
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
        eventually()
                .until(() -> status.equals(driver.findElement(By.id("status")).getAttribute("data-state")));
    }

    /**
     * A wait long enough for a loaded machine, through redraws: the client redraws a list when an event arrives, so
     * an element found may be replaced before it is read.
     */
    private static ConditionFactory eventually() {
        return await().atMost(Duration.ofSeconds(30)).ignoreException(StaleElementReferenceException.class);
    }

    /** Clicks the button labelled {@code label} on the message that starts with {@code text}, through redraws. */
    private static void clickOn(WebDriver driver, String text, String label) {
        eventually().until(() -> {
            message(driver, text)
                    .findElement(By.cssSelector("button[aria-label='" + label + "']"))
                    .click();
            return true;
        });
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
        eventually().until(() -> {
            driver.findElement(By.cssSelector("#groups li[data-group='" + group + "']"))
                    .click();
            return true;
        });
        eventually()
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
        eventually()
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
        eventually().until(() -> texts(bob).size() == 50);
        bob.findElement(By.id("older")).click();
        eventually().until(() -> texts(bob).size() == 55);
        assertThat(texts(bob).get(0)).isEqualTo("old 0");
        assertThat(bob.findElement(By.id("older")).isDisplayed()).isFalse();

        // they chat live, with typing notices
        send(alice, "hello bob");
        sent.add("hello bob");
        eventually().until(() -> texts(bob).contains("hello bob"));
        // on someone else's message: Reply only, no Edit or Delete
        eventually()
                .until(
                        () -> message(bob, "hello bob").findElements(By.cssSelector("button")).stream()
                                .map(b -> b.getAttribute("aria-label"))
                                .toList(),
                        labels -> labels.equals(List.of("Reply")));
        type(bob, "text", "hi al");
        eventually().until(() -> alice.findElement(By.id("typing")).getText().contains("bob is typing"));
        send(bob, "hi alice");
        sent.add("hi alice");
        eventually().until(() -> texts(alice).contains("hi alice"));

        // bob goes offline; alice sends 10 messages meanwhile
        ((JavascriptExecutor) bob).executeScript("return window.chorus.goOffline()");
        awaitStatus(bob, "offline");
        for (int i = 0; i < 10; i++) {
            send(alice, "while away " + i);
            sent.add("while away " + i);
        }
        eventually().until(() -> texts(alice).contains("while away 9"));

        // bob comes back: every message he missed, once, in order
        ((JavascriptExecutor) bob).executeScript("window.chorus.goOnline()");
        awaitStatus(bob, "live");
        eventually().until(() -> texts(bob).contains("while away 9"));
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
        eventually().until(() -> texts(bob).contains("after the drop"));
        awaitStatus(bob, "live");
        assertShowsAllOf(sent);

        // a message in a group bob is not looking at shows as unread in his list
        type(alice, "new-group", other);
        alice.findElement(By.id("create")).click();
        type(bob, "join-id", other);
        bob.findElement(By.id("join")).click();
        eventually().until(() -> bob.findElement(By.id("room-title")).getText().equals(other));
        openGroup(alice, group);
        send(alice, "ping in the first group");
        eventually()
                .until(() -> bob.findElements(By.cssSelector("#groups li[data-group='" + group + "'] .unread")).stream()
                        .anyMatch(badge -> badge.getText().equals("1")));
    }

    private static Object script(WebDriver driver, String script, Object... args) {
        return ((JavascriptExecutor) driver).executeScript(script, args);
    }

    private static boolean scrollsSideways(WebDriver driver) {
        return (Boolean) script(driver, "return document.documentElement.scrollWidth > window.innerWidth");
    }

    /** The one message whose text is {@code text}. */
    private static WebElement message(WebDriver driver, String text) {
        return driver.findElements(By.cssSelector("#messages li.message")).stream()
                .filter(li -> li.findElement(By.cssSelector(".text")).getText().startsWith(text))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no message " + text + " in " + texts(driver)));
    }

    private void screenshot(WebDriver driver, String name) throws Exception {
        File target = new File("target/e2e/" + name + ".png");
        target.getParentFile().mkdirs();
        java.nio.file.Files.write(target.toPath(), ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
    }

    @Test
    void onAPhoneALongPasteIsRefusedAndEditDeleteReplyAndLeaveWork() throws Exception {
        String group = "phone-" + UUID.randomUUID().toString().substring(0, 8);
        alice.manage().window().setSize(new Dimension(390, 844));

        // the page loads with a clean console and no sideways scroll at 390 px
        signIn(alice, "alice");
        assertThat(alice.manage().logs().get(LogType.BROWSER).getAll())
                .filteredOn(entry -> entry.getLevel().intValue() >= Level.WARNING.intValue())
                .isEmpty();
        assertThat(scrollsSideways(alice)).isFalse();
        type(alice, "new-group", group);
        alice.findElement(By.id("create")).click();
        eventually()
                .until(() -> alice.findElement(By.id("room-title")).getText().equals(group));
        // on a phone the room is a view of its own, with a way back
        assertThat(alice.findElement(By.id("groups")).isDisplayed()).isFalse();
        assertThat(alice.findElement(By.id("back")).isDisplayed()).isTrue();

        // a paste of 20,000 characters is refused before it is sent, naming the limit; the connection stays
        script(alice, "arguments[0].value = arguments[1]", alice.findElement(By.id("text")), "x".repeat(20_000));
        alice.findElement(By.id("send")).click();
        assertThat(alice.findElement(By.id("compose-error")).getText())
                .contains("20,000")
                .contains("4,000");
        assertThat(alice.findElements(By.cssSelector("#messages li.pending"))).isEmpty();
        assertThat(scrollsSideways(alice)).isFalse();
        screenshot(alice, "phone-long-paste");
        send(alice, "short one");
        eventually().until(() -> texts(alice).contains("short one"));
        assertThat(alice.findElement(By.id("status")).getAttribute("data-state"))
                .isEqualTo("live");
        assertThat(alice.findElement(By.id("compose-error")).getText()).isEmpty();

        // each message shows its time, under a day separator
        eventually()
                .until(
                        () -> message(alice, "short one")
                                .findElement(By.cssSelector("time"))
                                .getAttribute("datetime"),
                        datetime -> datetime != null && !datetime.isBlank());
        assertThat(alice.findElements(By.cssSelector("#messages li.day"))).hasSize(1);

        // Enter sends, Shift+Enter is a new line
        WebElement text = alice.findElement(By.id("text"));
        text.sendKeys("line one", Keys.chord(Keys.SHIFT, Keys.ENTER), "line two", Keys.ENTER);
        eventually().until(() -> texts(alice).contains("line one\nline two"));

        // reply to a message, then edit the reply, then delete it (after confirming)
        clickOn(alice, "short one", "Reply");
        assertThat(alice.findElement(By.id("replying")).getText()).contains("short one");
        send(alice, "a reply");
        eventually().until(() -> texts(alice).contains("a reply"));
        eventually()
                .until(
                        () -> message(alice, "a reply")
                                .findElement(By.cssSelector(".reply-to"))
                                .getText(),
                        quoted -> quoted.contains("short one"));
        clickOn(alice, "a reply", "Edit");
        WebElement editor = alice.findElement(By.cssSelector("textarea[aria-label='Edit message']"));
        editor.clear();
        editor.sendKeys("an edited reply", Keys.ENTER);
        eventually().until(() -> texts(alice).contains("an edited reply (edited)"));
        clickOn(alice, "an edited reply", "Delete");
        alice.switchTo().alert().accept();
        eventually().until(() -> texts(alice).contains("message deleted"));
        assertThat(texts(alice)).doesNotContain("an edited reply (edited)");

        // a send the server refuses (a control character) is shown as failed, with Retry and Discard
        script(alice, "arguments[0].value = 'bell \u0007 here'", alice.findElement(By.id("text")));
        alice.findElement(By.id("send")).click();
        eventually()
                .until(() -> !alice.findElements(By.cssSelector("#messages li.failed"))
                        .isEmpty());
        eventually().until(() -> {
            WebElement failed = alice.findElement(By.cssSelector("#messages li.failed"));
            return failed.getText().contains("not sent")
                    && failed.findElements(By.cssSelector("button[aria-label='Retry']"))
                                    .size()
                            == 1;
        });
        screenshot(alice, "phone-room");
        eventually().until(() -> {
            alice.findElement(By.cssSelector("#messages li.failed button[aria-label='Discard']"))
                    .click();
            return true;
        });
        assertThat(alice.findElements(By.cssSelector("#messages li.failed"))).isEmpty();
        assertThat(alice.findElement(By.id("status")).getAttribute("data-state"))
                .isEqualTo("live");
        assertThat(scrollsSideways(alice)).isFalse();

        // the narrowest phone and a desktop show the room without sideways scrolling
        alice.manage().window().setSize(new Dimension(360, 740));
        assertThat(scrollsSideways(alice)).isFalse();
        alice.manage().window().setSize(new Dimension(1200, 800));
        assertThat(scrollsSideways(alice)).isFalse();
        assertThat(alice.findElement(By.id("groups")).isDisplayed()).isTrue();
        screenshot(alice, "desktop-room");
        alice.manage().window().setSize(new Dimension(390, 844));

        // back to the list; join carol's group there, and leave it from the room (an owner may not leave her own)
        alice.findElement(By.id("back")).click();
        assertThat(alice.findElement(By.id("groups")).isDisplayed()).isTrue();
        Api api = new Api(port);
        String carols = group + "-c";
        api.createOpenGroup(api.token("carol"), carols, carols);
        type(alice, "join-id", carols);
        alice.findElement(By.id("join")).click();
        eventually()
                .until(() -> alice.findElement(By.id("room-title")).getText().equals(carols));
        alice.findElement(By.id("leave")).click();
        alice.switchTo().alert().accept();
        eventually()
                .until(() -> alice.findElements(By.cssSelector("#groups li[data-group='" + carols + "']"))
                        .isEmpty());
        assertThat(api.call("GET", "/api/groups/" + carols, api.token("alice"), null)
                        .status())
                .isEqualTo(403);
    }

    @Test
    void aSendAfterWhichTheConnectionClosesTwiceInARowIsShownAsFailedAndTheClientGoesOn() {
        String group = "poison-" + UUID.randomUUID().toString().substring(0, 8);
        signIn(alice, "alice");
        type(alice, "new-group", group);
        alice.findElement(By.id("create")).click();
        eventually()
                .until(() -> alice.findElement(By.id("room-title")).getText().equals(group));

        // as if something between the browser and Chorus cut the connection whenever this one frame goes out
        script(alice, """
                const send = SockJS.prototype.send;
                SockJS.prototype.send = function (data) {
                  if (String(data).includes('poison pill')) {
                    window.cuts = (window.cuts || 0) + 1;
                    this.close(4000, 'cut by the test');
                    return;
                  }
                  return send.call(this, data);
                };""");
        send(alice, "poison pill");

        // sent, cut, resent on the reconnect, cut again: then it stays out and is shown as failed
        eventually()
                .until(() -> !alice.findElements(By.cssSelector("#messages li.failed"))
                        .isEmpty());
        assertThat(alice.findElement(By.cssSelector("#messages li.failed")).getText())
                .contains("poison pill")
                .contains("not sent");
        awaitStatus(alice, "live");
        long cuts = ((Number) script(alice, "return window.cuts")).longValue();
        assertThat(cuts).isEqualTo(2);

        // no loop of reconnects: the next message goes out on the same connection and nothing resends the first
        send(alice, "the next one");
        eventually().until(() -> texts(alice).contains("the next one"));
        assertThat(((Number) script(alice, "return window.cuts")).longValue()).isEqualTo(2);
        assertThat(alice.findElement(By.id("status")).getAttribute("data-state"))
                .isEqualTo("live");

        // Discard takes it away; nothing of it reached the group
        eventually().until(() -> {
            alice.findElement(By.cssSelector("#messages li.failed button[aria-label='Discard']"))
                    .click();
            return true;
        });
        assertThat(alice.findElements(By.cssSelector("#messages li.failed"))).isEmpty();
        assertThat(texts(alice)).containsExactly("the next one");
    }
}
