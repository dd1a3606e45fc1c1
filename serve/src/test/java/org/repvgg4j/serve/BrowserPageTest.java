package org.repvgg4j.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.repvgg4j.infer.Classifier;
import org.repvgg4j.infer.Engine;
import org.repvgg4j.infer.Scores;

/**
 * The web page in a real browser: Debian's headless Chromium driven by Selenium uploads a demo image,
 * reads its top-1 label, and opens a confusion-matrix cell of the results view. The screenshots stay in
 * serve/target/browser/. Skipped, saying why, only where Chromium or ChromeDriver is not installed.
 */
class BrowserPageTest {

    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    static final Path SCREENSHOTS = Path.of("target/browser");

    @TempDir
    Path tmp;

    @Test
    void uploadsAnImageReadsItsTopLabelAndOpensAConfusionCell() throws Exception {
        assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "no browser test: " + CHROMIUM + " or " + CHROMEDRIVER + " is missing "
                        + "(apt-get install chromium chromium-driver; .ci/run does)");
        Path model = TestModels.tinyModel(tmp.resolve("tiny"));
        List<Path> images = TestModels.images(3);
        TestModels.batchResults(model, images, tmp.resolve("labelled.txt"), tmp.resolve("results"));
        Path image = images.get(4);
        String expected;
        try (Classifier reference = Classifier.open(model, Classifier.Options.of(Engine.PYTORCH))) {
            expected = TestModels.classes().get(Scores.argmax(TestModels.expectedLogits(reference, image)));
        }

        ServeOptions options = ServeOptions.builder().model("fashion", model).port(0).engine("pytorch")
                .results(tmp.resolve("results"), tmp.resolve("labelled.txt")).build();
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        ChromeOptions chrome = new ChromeOptions();
        chrome.setBinary(CHROMIUM.toFile());
        chrome.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1400,1000", "--user-data-dir=" + tmp.resolve("chromium-profile"));
        Files.createDirectories(SCREENSHOTS);
        try (ModelServer server = ModelServer.start(options)) {
            WebDriver driver = new ChromeDriver(service, chrome);
            try {
                WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(60));
                driver.get(server.uri().toString());
                wait.until(d -> !d.findElements(By.cssSelector("#model option")).isEmpty());

                driver.findElement(By.id("file-input")).sendKeys(image.toString());
                WebElement top1 = wait.until(d -> d.findElements(By.cssSelector(".prediction .top1-label")).stream()
                        .findFirst().orElse(null));
                assertThat(top1.getText()).isEqualTo(expected);
                wait.until(d -> (Boolean) ((JavascriptExecutor) d).executeScript(
                        "const i = document.querySelector('.prediction img.cam'); return !!i && i.naturalWidth > 0;"));
                screenshot(driver, "classify.png");

                driver.findElement(By.id("tab-results")).click();
                WebElement cell = wait.until(d -> d.findElements(By.cssSelector("#confusion td.cell")).stream()
                        .filter(td -> !td.getText().isBlank()).findFirst().orElse(null));
                int count = Integer.parseInt(cell.getText().trim());
                cell.click();
                wait.until(d -> (Boolean) ((JavascriptExecutor) d).executeScript(
                        "const i = document.querySelectorAll('#cell-images img');"
                                + " return i.length > 0 && Array.from(i).every(x => x.naturalWidth > 0);"));
                assertThat(driver.findElements(By.cssSelector("#cell-images .thumb"))).hasSize(count);
                assertThat(driver.findElement(By.id("cell-title")).getText()).startsWith("Label ");
                screenshot(driver, "results.png");
            } finally {
                driver.quit();
            }
        }
    }

    private static void screenshot(WebDriver driver, String name) throws Exception {
        File shot = ((org.openqa.selenium.TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
        Files.copy(shot.toPath(), SCREENSHOTS.resolve(name), StandardCopyOption.REPLACE_EXISTING);
    }
}
