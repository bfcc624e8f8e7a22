import org.jetbrains.kotlin.gradle.dsl.JvmTarget

plugins {
    alias(libs.plugins.android.application)
    alias(libs.plugins.kotlin.android)
}

android {
    namespace = "org.kerasalbert.demo"
    compileSdk = 35

    defaultConfig {
        applicationId = "org.kerasalbert.demo"
        minSdk = 24
        targetSdk = 35
        versionCode = 1
        versionName = "1.0"
    }

    buildTypes {
        release {
            isMinifyEnabled = false
        }
    }
    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    androidResources {
        noCompress += "tflite"  // MediaPipe maps the model straight from the APK
    }
    buildFeatures {
        viewBinding = true
    }
}

kotlin {
    compilerOptions {
        jvmTarget.set(JvmTarget.JVM_17)
    }
}

dependencies {
    implementation(project(":core"))
    implementation(libs.mediapipe.tasks.text)
    implementation(libs.tensorflow.lite.task.text)  // BertQuestionAnswerer (the question-answering screen)
    implementation(libs.androidx.core.ktx)
    implementation(libs.androidx.appcompat)
    implementation(libs.material)
    implementation(libs.androidx.lifecycle.runtime.ktx)
    implementation(libs.kotlinx.coroutines.android)
}

// The model: `./gradlew :app:copyAlbertModel -PalbertModel=/path/to/model.tflite` copies the .tflite that
// `keras-albert export` wrote (with metadata) to src/main/assets/model.tflite; with -PalbertModel on any build
// command the copy runs before the build. -PalbertLabels=/path/to/labels.txt copies the class names too.
val albertModel = providers.gradleProperty("albertModel")
val albertLabels = providers.gradleProperty("albertLabels")
val copyAlbertModel by tasks.registering(Copy::class) {
    group = "albert"
    description = "Copies -PalbertModel=PATH (a .tflite from keras-albert export) into the app's assets."
    from(albertModel.orElse("").map { path ->
        val model = rootProject.file(path)
        if (path.isEmpty() || !model.isFile) {
            throw GradleException("Pass the exported model: -PalbertModel=/path/to/model.tflite (got '$path').")
        }
        model
    }) {
        rename { "model.tflite" }
    }
    if (albertLabels.isPresent) {
        from(albertLabels.map { rootProject.file(it) }) {
            rename { "labels.txt" }
        }
    }
    into(layout.projectDirectory.dir("src/main/assets"))
}
if (albertModel.isPresent) {
    tasks.named("preBuild") { dependsOn(copyAlbertModel) }
}

// The question-answering screen's model: `./gradlew :app:copyAlbertQaModel -PalbertQaModel=/path/to/model.tflite`
// copies a question-answering .tflite from `keras-albert export` (with its Task Library metadata) to
// src/main/assets/qa_model.tflite; with -PalbertQaModel on any build command the copy runs before the build.
val albertQaModel = providers.gradleProperty("albertQaModel")
val copyAlbertQaModel by tasks.registering(Copy::class) {
    group = "albert"
    description = "Copies -PalbertQaModel=PATH (a question-answering .tflite from keras-albert export) into the assets."
    from(albertQaModel.orElse("").map { path ->
        val model = rootProject.file(path)
        if (path.isEmpty() || !model.isFile) {
            throw GradleException("Pass the exported model: -PalbertQaModel=/path/to/model.tflite (got '$path').")
        }
        model
    }) {
        rename { "qa_model.tflite" }
    }
    into(layout.projectDirectory.dir("src/main/assets"))
}
if (albertQaModel.isPresent) {
    tasks.named("preBuild") { dependsOn(copyAlbertQaModel) }
}
