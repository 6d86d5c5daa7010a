// The validators Vitam runs, as test oracles, through javax.xml.validation the way Vitam's
// ValidationXsdUtils creates its SchemaFactory: Xerces 2.12 in XSD 1.1 mode for the SEDA
// schemas (LANG xsd11), Jing's XMLSyntaxSchemaFactory for archival profiles (LANG rng).
//
// Usage (single-file source launch, JDK 11+):
//   java -cp 'target/oracles/java/*' Validate.java LANG SCHEMA DOC...
// Prints, for each document, one line per error then an end line:
//   ERR<TAB>DOC<TAB>LINE<TAB>MESSAGE
//   END<TAB>DOC<TAB>OK|KO
// A fatal (well-formedness) error stops that document. Exit status 0 unless the schema
// does not compile (2). scripts/setup.d/oracles.sh fetches the jars (pom.xml here).
import java.io.File;
import javax.xml.XMLConstants;
import javax.xml.transform.stream.StreamSource;
import javax.xml.validation.Schema;
import javax.xml.validation.SchemaFactory;
import javax.xml.validation.Validator;
import org.xml.sax.ErrorHandler;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;

public class Validate {
    static final String XSD_11 = "http://www.w3.org/XML/XMLSchema/v1.1";
    static final String RNG_FACTORY = "com.thaiopensource.relaxng.jaxp.XMLSyntaxSchemaFactory";
    static final String RNG_PROPERTY_KEY = "javax.xml.validation.SchemaFactory:" + XMLConstants.RELAXNG_NS_URI;

    public static void main(String[] args) throws Exception {
        SchemaFactory f;
        String expected;
        if (args[0].equals("rng")) {
            System.setProperty(RNG_PROPERTY_KEY, RNG_FACTORY);
            f = SchemaFactory.newInstance(XMLConstants.RELAXNG_NS_URI);
            expected = "com.thaiopensource";
        } else if (args[0].equals("xsd11")) {
            f = SchemaFactory.newInstance(XSD_11);
            expected = "org.apache.xerces";
        } else {
            System.err.println("LANG must be xsd11 or rng, not " + args[0]);
            System.exit(2);
            return;
        }
        if (!f.getClass().getName().startsWith(expected)) {
            System.err.println("not " + expected + ": " + f.getClass().getName() + " (is the classpath set?)");
            System.exit(2);
        }
        Schema schema;
        try {
            schema = f.newSchema(new File(args[1]));
        } catch (SAXException e) {
            System.err.println("schema: " + e.getMessage());
            System.exit(2);
            return;
        }
        StringBuilder out = new StringBuilder();
        for (int i = 2; i < args.length; i++) {
            String doc = args[i];
            boolean[] ko = {false};
            Validator v = schema.newValidator();
            v.setErrorHandler(new ErrorHandler() {
                public void warning(SAXParseException e) {}

                public void error(SAXParseException e) {
                    ko[0] = true;
                    out.append("ERR\t").append(doc).append('\t').append(e.getLineNumber()).append('\t')
                        .append(String.valueOf(e.getMessage()).replace('\n', ' ')).append('\n');
                }

                public void fatalError(SAXParseException e) throws SAXException {
                    error(e);
                    throw e;
                }
            });
            try {
                v.validate(new StreamSource(new File(doc)));
            } catch (SAXException e) {
                ko[0] = true;
            }
            out.append("END\t").append(doc).append('\t').append(ko[0] ? "KO" : "OK").append('\n');
        }
        System.out.print(out);
    }
}
