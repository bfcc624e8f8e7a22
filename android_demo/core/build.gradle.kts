// The app's logic that needs no Android: tokenizer, input packing, labels, result formatting.
// CI compiles and runs these sources with javac 17 and JUnit 4 directly (tests/test_android_core.py).
plugins {
    `java-library`
}

java {
    sourceCompatibility = JavaVersion.VERSION_17
    targetCompatibility = JavaVersion.VERSION_17
}

dependencies {
    testImplementation(libs.junit)
}

tasks.test {
    // -PalbertGolden=DIR tests against files from `python -m export.android_golden`; else the copy in resources.
    providers.gradleProperty("albertGolden").orNull?.let { systemProperty("albert.golden.dir", file(it).absolutePath) }
}
